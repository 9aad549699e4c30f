// The live timeline: ask for what came after the last event every second, append it, and
// refresh the header (roles, milestones). No library; the page works without it (reload).
(function () {
  "use strict";
  var list = document.getElementById("timeline");
  if (!list) { return; }
  var header = document.getElementById("header");
  var status = document.getElementById("live-status");
  var notes = document.getElementById("notes");
  var id = list.dataset.incident;
  var after = Number(list.dataset.after || 0);
  var active = list.dataset.active === "true";
  var failures = 0;
  function poll() {
    fetch("/incidents/" + id + "/live?after=" + after, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.redirected) { window.location.reload(); throw new Error("signed out"); }
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(function (data) {
        failures = 0;
        if (data.items.trim()) {
          var box = document.createElement("template");
          box.innerHTML = data.items;
          box.content.querySelectorAll("li").forEach(function (li) {
            li.classList.add("new");
            if (li.classList.contains("note") && notes) {
              var none = document.getElementById("no-notes");
              if (none) { none.remove(); }
              var item = document.createElement("li");
              item.textContent = li.querySelector("time").textContent + " " +
                li.querySelector(".actor").textContent + ": " + li.querySelector(".text").textContent;
              notes.appendChild(item);
            }
          });
          list.appendChild(box.content);
        }
        after = data.after;
        header.innerHTML = data.header;
        active = data.active;
        if (status) { status.textContent = active ? "Updates live." : "The incident is stopped."; }
      })
      .catch(function () {
        failures += 1;
        if (status) { status.textContent = "Lost contact with warroom; retrying."; }
      })
      .finally(function () {
        if (active || failures) { setTimeout(poll, failures ? Math.min(10000, 1000 * failures) : 1000); }
      });
  }
  if (active) { setTimeout(poll, 1000); }
}());

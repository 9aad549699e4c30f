"""A small OpenID Connect provider for the tests, on 127.0.0.1: discovery, authorize
(authorization code), token (client_secret_basic or _post), JWKS with an RSA key, userinfo; the
id_token is signed RS256. It signs in whoever `user` says, or refuses (`refuse = True`) with
`access_denied`, as a real provider does when the person clicks "Cancel"."""

from __future__ import annotations

import asyncio
import base64
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "warroom-dashboard"
CLIENT_SECRET = "s3cret-for-tests"


class Provider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.user: dict[str, Any] = {}
        self.refuse = False
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.redirects: list[str] = []
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # The flows --------------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        })  # fmt: skip

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if "openid" not in q.get("scope", "").split():
            return JSONResponse({"error": "invalid_scope"}, status_code=400)
        redirect = q["redirect_uri"]
        self.redirects.append(redirect)
        if self.refuse:
            answer = {"error": "access_denied", "error_description": "the user said no",
                      "state": q.get("state", "")}  # fmt: skip
            return RedirectResponse(f"{redirect}?{urlencode(answer)}", status_code=302)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"user": dict(self.user), "nonce": q.get("nonce"),
                            "redirect_uri": redirect}  # fmt: skip
        answer = {"code": code, "state": q.get("state", "")}
        return RedirectResponse(f"{redirect}?{urlencode(answer)}", status_code=302)

    def _client_ok(self, request: Request, form: Any) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            raw = base64.b64decode(header[6:]).decode()
            cid, _, secret = raw.partition(":")
        else:
            cid, secret = form.get("client_id", ""), form.get("client_secret", "")
        return bool(cid == CLIENT_ID and secret == CLIENT_SECRET)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code", "")), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  **grant["user"]}  # fmt: skip
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        header = {"alg": "RS256", "kid": "k1"}
        id_token = jwt.encode(header, claims, self.key)
        access = secrets.token_urlsafe(16)
        self.tokens[access] = grant["user"]
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 300,
                             "id_token": id_token})  # fmt: skip

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def userinfo(self, request: Request) -> Response:
        access = request.headers.get("authorization", "").removeprefix("Bearer ")
        user = self.tokens.get(access)
        if user is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(user)

    # Serving ------------------------------------------------------------------------------

    def start(self) -> Provider:
        routes = [
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/jwks", self.jwks),
            Route("/userinfo", self.userinfo),
        ]
        config = uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=0,
                                lifespan="off", access_log=False, log_level="warning")  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve()),  # type: ignore[union-attr]
                                        daemon=True)  # fmt: skip
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test OIDC provider did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

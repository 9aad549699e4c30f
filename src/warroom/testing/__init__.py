"""Public fakes of the ports for our tests and users': FakeChat, FixedClock, Conversation."""

from warroom.testing.conversation import Conversation
from warroom.testing.fakes import FakeChat, FakePager, FakePresence, FixedClock, Sent

__all__ = ["Conversation", "FakeChat", "FakePager", "FakePresence", "FixedClock", "Sent"]

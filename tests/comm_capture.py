"""Widget comms that do what the kernel does with every message: serialise it with
jupyter_client's packer (which raises on a lone surrogate) and check that the bytes are the
UTF-8 the page must read. Everything that would reach the page is recorded.

``with capture_comms() as comms:`` makes every widget created inside use such a comm.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import comm
from comm.base_comm import BaseComm
from jupyter_client.session import json_packer


def comm_encodable(value: Any) -> bytes:
    """``value`` as the kernel sends it; raises when the page could not receive it."""
    packed = json_packer(value)
    packed.decode("utf-8")  # surrogateescape can yield bytes no browser decodes as UTF-8
    # The strict form too: what any JSON + UTF-8 transport needs.
    json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return packed


@dataclass
class CommLog:
    frames: list[dict[str, Any]] = field(default_factory=list)
    """Every message that reached the page (decoded from the packed bytes)."""
    failures: list[BaseException] = field(default_factory=list)
    fail_when: Callable[[dict[str, Any]], bool] | None = None
    """Make the transport fail for matching messages (a closed or broken channel)."""

    def text(self) -> str:
        return "\n".join(json.dumps(frame, ensure_ascii=False) for frame in self.frames)

    def updates(self, key: str) -> list[Any]:
        """Values of ``key`` in state messages (open and update), in order."""
        out = []
        for frame in self.frames:
            state = (frame.get("data") or {}).get("state") or {}
            if key in state:
                out.append(state[key])
        return out


class PackingComm(BaseComm):
    log: CommLog

    def publish_msg(
        self,
        msg_type: str,
        data: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: list[Any] | None = None,
        **keys: Any,
    ) -> None:
        message = {"msg_type": msg_type, "comm_id": self.comm_id, "data": data or {}}
        if self.log.fail_when is not None and self.log.fail_when(message):
            error = OSError("the comm channel is closed")
            self.log.failures.append(error)
            raise error
        try:
            packed = comm_encodable({**message, "metadata": metadata or {}})
        except Exception as exc:
            self.log.failures.append(exc)
            raise
        self.log.frames.append(json.loads(packed))


@contextlib.contextmanager
def capture_comms() -> Iterator[CommLog]:
    log = CommLog()
    original = comm.create_comm

    def create(*args: Any, **kwargs: Any) -> BaseComm:
        instance = PackingComm.__new__(PackingComm)
        instance.log = log
        PackingComm.__init__(instance, *args, **kwargs)
        return instance

    comm.create_comm = create
    try:
        yield log
    finally:
        comm.create_comm = original

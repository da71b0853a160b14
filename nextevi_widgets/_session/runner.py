"""The session's background task: start the backend (emulator or service), run the client,
fold its events into the session, and clean everything up however it ends."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from .backend import open_backend

if TYPE_CHECKING:
    from ..client.client import NextEVIClient
    from ..session import VoiceSession

__all__ = ["close_session", "run_session"]

logger = logging.getLogger("nextevi_widgets.session")


async def run_session(session: VoiceSession) -> None:
    """Body of the task :meth:`VoiceSession.start` schedules."""
    ticker = asyncio.ensure_future(session._tick())
    client: NextEVIClient | None = None
    try:
        backend = await open_backend(session._emulator_mode, session._options)
        session._backend = backend
        session._set(is_emulator=backend.is_emulator)
        from ..client.client import NextEVIClient

        client = NextEVIClient(options=backend.options)
        session._client = client
        await client.connect()
        session._events.on_connected(client.connection_id)
        await _fold_events(session, client)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if client is not None and client.finished:
            # What the server said before the failure (e.g. an error message right before an
            # authentication close) was received: show it rather than lose it.
            await _fold_events(session, client)
        session._events.on_failure(exc)
    finally:
        ticker.cancel()
        session._drop_held_audio()
        session._client = None
        if client is not None:
            session._book.fold(client)
            try:
                await client.close()
            except Exception:
                logger.debug("client close failed", exc_info=True)
        # Final counters before the state says "stopped": whoever waits for that reads them.
        session._refresh_stats()
        session._events.on_stopped()
        backend_, session._backend = session._backend, None
        if backend_ is not None:
            try:
                await backend_.aclose()
            except Exception:
                logger.warning("stopping the emulator failed", exc_info=True)
        session._refresh_stats()


async def _fold_events(session: VoiceSession, client: NextEVIClient) -> None:
    async for event in client:
        try:
            session.handle_event(event)
        except Exception:
            logger.exception("VoiceSession failed to handle %s", type(event).__name__)


async def close_session(session: VoiceSession, task: asyncio.Task[None]) -> None:
    """Close the client (which ends the runner's event loop), then wait for the runner."""
    client = session._client
    if client is not None:
        try:
            await client.close()
        except Exception:
            logger.debug("client close failed", exc_info=True)
    if not task.done():
        done, _ = await asyncio.wait({task}, timeout=5.0)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=5.0)

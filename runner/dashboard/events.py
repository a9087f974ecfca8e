"""Live updates: LISTEN on the session status channel, re-render the live part of the page, push it to browsers.

One connection listens for the whole process. A NOTIFY (a tick, a manual action) wakes the feed; it waits a moment
for more of the same burst, renders the fragment once and hands it to every open server-sent-events stream. With
nobody watching, nothing is rendered. Every REFRESH_SECONDS the fragment is pushed anyway (the queue moves without
session changes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import psycopg
from aiohttp import web

from runner.backoff import Backoff
from runner.db import first_line, unavailable
from runner.logs import EventLog
from runner.loops import STATUS_CHANNEL

COALESCE_SECONDS = 0.1
REFRESH_SECONDS = 15.0
KEEPALIVE_SECONDS = 10.0


class LiveFeed:
    def __init__(self, url: str, render: Callable[[], Awaitable[str]], log: EventLog) -> None:
        self.url = url
        self.render = render
        self.log = log
        self.listening = asyncio.Event()
        self._wake = asyncio.Event()
        self._subscribers: set[asyncio.Queue[str | None]] = set()
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._broadcast())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for queue in self._subscribers:
            queue.put_nowait(None)

    async def _listen(self) -> None:
        backoff = Backoff()
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    await conn.execute(f"LISTEN {STATUS_CHANNEL}")
                    self.listening.set()
                    backoff.reset()
                    self._wake.set()  # whatever happened while we were away
                    async for _notice in conn.notifies():
                        self._wake.set()
            except psycopg.Error as problem:
                self.listening.clear()
                delay = backoff.next()
                lost = unavailable(self.url, problem)
                self.log(f"dashboard: lost the LISTEN connection: {lost}; retrying in {delay:g} s")
                await asyncio.sleep(delay)

    async def _broadcast(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), REFRESH_SECONDS)
            await asyncio.sleep(COALESCE_SECONDS)
            self._wake.clear()
            if not self._subscribers:
                continue
            try:
                fragment = await self.render()
            except psycopg.Error as problem:
                self.log(f"dashboard: cannot render the live fragment: {first_line(problem)}")
                continue
            for queue in self._subscribers:
                queue.put_nowait(fragment)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """GET /events: one server-sent event ``live`` per update, carrying the fragment's HTML."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=0)
        self._subscribers.add(queue)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
        try:
            await response.prepare(request)
            await response.write(b"retry: 2000\n\n")
            while True:
                try:
                    fragment = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                if fragment is None:
                    break
                data = "".join(f"data: {line}\n" for line in fragment.splitlines())
                await response.write(f"event: live\n{data}\n".encode())
        except ConnectionResetError:
            pass
        finally:
            self._subscribers.discard(queue)
        return response

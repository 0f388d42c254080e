"""Routes of the experiments (issue 8): list them, run one as JSON or as Server-Sent Events.

The training happens in the app's ExperimentManager (worker processes); these routes validate
the config, subscribe to the run (cached, shared or new) and relay what comes back. The
contract is docs/experiments-api.md.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from anyio import create_task_group
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from app.api.deps import BODY_MODELS_ATTRIBUTE, SettingsDep, validate_json_body
from app.api.schemas.experiments import CONFIGS, ExperimentInfo, RunConfig, config_schema
from app.experiments.manager import Busy, ExperimentManager, RunFailed, Subscription
from app.experiments.reference import load_reference
from app.experiments.runner import EXPERIMENTS

router = APIRouter(tags=["experiments"])

KEEP_ALIVE_SECONDS = 10.0
DISCONNECT_POLL_SECONDS = 0.5


@router.get("/experiments", response_model=list[ExperimentInfo])
def list_experiments(settings: SettingsDep) -> list[ExperimentInfo]:
    """The three experiments with their config schema, defaults and shipped reference sweep."""
    reference = load_reference()
    return [
        ExperimentInfo(
            id=experiment.id,
            question=experiment.question,
            title=experiment.title,
            description=experiment.description,
            config_schema=config_schema(CONFIGS[experiment.id], settings),
            defaults=CONFIGS[experiment.id].model_construct().model_dump(),
            reference=reference.get(experiment.id),
        )
        for experiment in EXPERIMENTS.values()
    ]


ExperimentId = Annotated[
    str, Path(description="generalization, limits or weight-decay", examples=["limits"])
]


async def run_config(experiment_id: ExperimentId, request: Request) -> RunConfig:
    """The run config of ``experiment_id``, defaults filled in: 404 for an unknown id, else the
    body validated off the event loop as that experiment's config (an empty body: defaults)."""
    model = CONFIGS.get(experiment_id)
    if model is None:
        raise HTTPException(
            status_code=404,
            detail=f"no experiment called {experiment_id!r}; expected one of " + ", ".join(CONFIGS),
        )
    config = await validate_json_body(request, model, empty_means=b"{}")
    assert isinstance(config, RunConfig)
    return config


setattr(run_config, BODY_MODELS_ATTRIBUTE, ("experiment_id", CONFIGS))


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class EventStreamResponse(StreamingResponse):
    """A stream that always watches for the client going away and then closes its generator.

    (Starlette stops watching under ASGI 2.4 and waits for a failed send; a run nobody reads
    must be cancelled at once, and the generator's ``finally`` is where that happens.)
    """

    media_type = "text/event-stream"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with create_task_group() as group:

                async def stream_then_stop() -> None:
                    await self.stream_response(send)
                    group.cancel_scope.cancel()

                group.start_soon(stream_then_stop)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            await self.body_iterator.aclose()  # type: ignore[attr-defined]


async def _stream(manager: ExperimentManager, subscription: Subscription) -> AsyncIterator[str]:
    try:
        if not subscription.cached:
            yield _event("started", {"key": subscription.key, "shared": subscription.shared})
        while True:
            try:
                kind, data = await asyncio.wait_for(
                    subscription.queue.get(), timeout=KEEP_ALIVE_SECONDS
                )
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if kind == "result":
                yield _event("result", {**data, "cached": subscription.cached})
                return
            if kind == "error":
                yield _event("error", {"status": data["status"], "detail": data["detail"]})
                return
            yield _event(kind, data)
    finally:
        manager.unsubscribe(subscription)


class ClientGone(Exception):
    """The client closed the connection before the result was ready."""


async def _wait(request: Request, manager: ExperimentManager, sub: Subscription) -> dict:
    """The result, or RunFailed / ClientGone; the run is cancelled if the client goes away."""
    try:
        while True:
            try:
                kind, data = await asyncio.wait_for(
                    sub.queue.get(), timeout=DISCONNECT_POLL_SECONDS
                )
            except TimeoutError:
                if await request.is_disconnected():
                    raise ClientGone() from None
                continue
            if kind == "result":
                return {**data, "cached": sub.cached}
            if kind == "error":
                raise RunFailed(data["status"], data["detail"])
    finally:
        manager.unsubscribe(sub)


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The result (application/json), or Server-Sent Events ending in "
        "`event: result` (text/event-stream); see docs/experiments-api.md.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    404: {"description": "No experiment with that id."},
    503: {"description": "Every training slot is busy; retry after `Retry-After` seconds."},
    504: {
        "description": "The run was stopped at this server's time limit of one run "
        "(CONVLAB_EXPERIMENT_MAX_SECONDS)."
    },
}


@router.post("/experiments/{experiment_id}/runs", responses=_RESPONSES)
async def run_experiment(
    experiment_id: ExperimentId,
    config: Annotated[RunConfig, Depends(run_config)],
    request: Request,
) -> Response:
    """Train: the result as JSON, or progress then the result as Server-Sent Events."""
    manager: ExperimentManager = request.app.state.experiments
    try:
        subscription = await manager.subscribe(experiment_id, config.model_dump())
    except Busy as busy:
        return JSONResponse(
            {"detail": str(busy)},
            status_code=503,
            headers={"Retry-After": str(busy.retry_after)},
        )
    if "text/event-stream" in request.headers.get("accept", ""):
        return EventStreamResponse(
            _stream(manager, subscription),
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    try:
        result = await _wait(request, manager, subscription)
    except RunFailed as failed:
        return JSONResponse({"detail": failed.detail}, status_code=failed.status)
    except ClientGone:
        return Response(status_code=499)  # nobody reads it (nginx's "client closed request")
    return JSONResponse(result)

"""Routes of the experiments: list them, run one as JSON or as Server-Sent Events.

The training happens in the app's ExperimentManager (worker processes, a shared queue); these
routes validate the config, subscribe to the run (cached, shared, queued or new) and map what
app.experiments.service hands back onto a response. The contract is docs/experiments-api.md.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from anyio import create_task_group
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from app.api.deps import BODY_MODELS_ATTRIBUTE, SettingsDep, validate_json_body
from app.api.schemas.experiments import CONFIGS, ExperimentInfo, experiment_list
from app.experiments.manager import Busy, ExperimentManager, RunFailed
from app.experiments.reference import load_reference
from app.experiments.service import ClientGone, event_stream, wait_for_result
from app.experiments.spec import RunConfig

router = APIRouter(tags=["experiments"])


def get_manager(request: Request) -> ExperimentManager:
    """The app's experiment manager (made in the lifespan)."""
    return request.app.state.experiments


ManagerDep = Annotated[ExperimentManager, Depends(get_manager)]


@router.get("/experiments", response_model=list[ExperimentInfo])
def list_experiments(settings: SettingsDep) -> list[ExperimentInfo]:
    """The three experiments with their config schema, defaults and shipped reference sweep."""
    return experiment_list(settings, load_reference())


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


async def arrival() -> int:
    """When the request came (time.time_ns(), before its body is read): its place in the
    training queue."""
    return time.time_ns()


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


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The result (application/json), or Server-Sent Events ending in "
        "`event: result` (text/event-stream); see docs/experiments-api.md.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    404: {"description": "No experiment with that id."},
    503: {"description": "The queue is full; retry after `Retry-After` seconds."},
    504: {
        "description": "The run was stopped at this server's time limit of one run "
        "(CONVLAB_EXPERIMENT_MAX_SECONDS)."
    },
}


@router.post("/experiments/{experiment_id}/runs", responses=_RESPONSES)
async def run_experiment(
    experiment_id: ExperimentId,
    asked: Annotated[int, Depends(arrival)],
    config: Annotated[RunConfig, Depends(run_config)],
    manager: ManagerDep,
    request: Request,
) -> Response:
    """Train: the result as JSON, or queue places, progress then the result as SSE."""
    try:
        subscription = await manager.subscribe(experiment_id, config.model_dump(), asked)
    except Busy as busy:
        headers = {"Retry-After": str(busy.retry_after)}
        return JSONResponse({"detail": str(busy)}, status_code=503, headers=headers)
    if "text/event-stream" in request.headers.get("accept", ""):
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return EventStreamResponse(event_stream(manager, subscription), headers=headers)
    try:
        result = await wait_for_result(manager, subscription, request.is_disconnected)
    except RunFailed as failed:
        return JSONResponse({"detail": failed.detail}, status_code=failed.status)
    except ClientGone:
        return Response(status_code=499)  # nobody reads it (nginx's "client closed request")
    return JSONResponse(result)

"""Jobs of the response network: each calls one service function, nothing else."""

from __future__ import annotations

from core.heartbeat import record_heartbeat, worker_name
from core.jobs import JobRegistry
from core.runtime import Runtime
from response_network.operations.models import WorkerHeartbeat
from response_network.transfer.service import transfer_context
from shared.exchange.jobs import register_transfer_jobs

registry = JobRegistry("response")


@registry.job("heartbeat", every=30)
async def heartbeat(runtime: Runtime) -> None:
    async with runtime.unit_of_work() as uow:
        await record_heartbeat(
            session=uow.session, model=WorkerHeartbeat, worker=worker_name("jobs")
        )


register_transfer_jobs(registry, transfer_context)

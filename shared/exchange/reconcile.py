"""Reconciliation: compare the transfer directories with the ledgers, repair what is safe."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import select

from shared.exchange.acks import outgoing_acks
from shared.exchange.context import TransferContext
from shared.exchange.export import publish_pending
from shared.exchange.files import (
    is_in_flight,
    list_quarantined,
    pending_files,
    stale_temporaries,
)


@dataclass
class Finding:
    kind: str
    """orphan | unpublished | stale_temporary | missing_copy | unacknowledged | waiting |
    quarantined | gap"""
    subject: str
    fixable: bool
    fixed: bool = False


@dataclass
class Reconciliation:
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return all(f.fixed for f in self.findings if f.fixable) and not any(
            f.kind in {"missing_copy", "quarantined", "gap"} for f in self.findings
        )


async def reconcile(ctx: TransferContext, *, fix: bool = False) -> Reconciliation:
    """Report orphans, unpublished and unacknowledged batches, copies gone, gaps, quarantine.

    With `fix`: delete orphans in `sent/` (never published, so never seen by the peer) and
    stale temporaries (`.<name>.tmp` a killed writer left, see `stale_temporaries`), and
    publish committed batches that were not published. Nothing else is touched.
    """
    ctx.ensure_dirs()
    outbox = ctx.ledger.outbox
    report = Reconciliation()
    async with ctx.unit_of_work() as uow:
        rows = list((await uow.session.execute(select(outbox))).scalars())
        acks = await outgoing_acks(uow.session, ctx)
    known = {row.file_name for row in rows}
    for path in sorted(ctx.sent_dir.iterdir()):
        if path.is_file() and not is_in_flight(path.name) and path.name not in known:
            report.findings.append(Finding("orphan", path.name, fixable=True))
    for path in await asyncio.to_thread(stale_temporaries, ctx.own_dirs, ctx.stale_temporary_after):
        subject = str(path.relative_to(ctx.root / ctx.network))
        report.findings.append(Finding("stale_temporary", subject, fixable=True))
    for row in rows:
        kept = (ctx.sent_dir / row.file_name).exists()
        if row.published_at is None:
            report.findings.append(Finding("unpublished", row.file_name, fixable=kept))
        if row.acked_at is None and ctx.acks_enabled:
            if kept:
                report.findings.append(Finding("unacknowledged", row.file_name, fixable=False))
            elif row.copy_deleted_at is None:
                report.findings.append(Finding("missing_copy", row.file_name, fixable=False))
    for path in pending_files(ctx.inbox_dir):
        report.findings.append(Finding("waiting", path.name, fixable=False))
    for reason in list_quarantined(ctx.quarantine_dir):
        report.findings.append(Finding("quarantined", f"{reason.file}: {reason.code}", False))
    for stream, ack in acks.items():
        for sequence in ack.missing:
            report.findings.append(Finding("gap", f"{ctx.peer}/{stream}/{sequence}", False))
    if fix:
        for finding in report.findings:
            if finding.kind == "orphan":
                (ctx.sent_dir / finding.subject).unlink(missing_ok=True)
                finding.fixed = True
            elif finding.kind == "stale_temporary":
                (ctx.root / ctx.network / finding.subject).unlink(missing_ok=True)
                finding.fixed = True
        if any(f.kind == "unpublished" and f.fixable for f in report.findings):
            await publish_pending(ctx)
            for finding in report.findings:
                if finding.kind == "unpublished" and finding.fixable:
                    finding.fixed = True
    return report

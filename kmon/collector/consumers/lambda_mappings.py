"""Lambda event source mappings reading a stream, judged by the function's AWS/Lambda
IteratorAge."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from functools import partial

from kmon.collector.cache import SingleFlightCache
from kmon.collector.consumers.base import (
    Context,
    Judging,
    Poll,
    Rows,
    StreamRef,
    strings_only,
)
from kmon.collector.metrics import MetricQuery
from kmon.collector.pages import pages
from kmon.model.lag import ConsumerLag, from_verdict

# Mappings change by deploys; a disabled mapping should show within a couple of refreshes.
LAMBDA_TTL = 120.0
LAMBDA_OK_RESULTS = frozenset({"OK", "No records processed"})


def function_name(mapping: Mapping) -> str:
    """The function a mapping invokes: the name in its ARN (a qualifier kept apart)."""
    arn = str(mapping.get("FunctionArn") or "")
    parts = arn.split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return parts[6]
    return arn or "?"


class LambdaMappings:
    """The ``lambda`` kind."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._all = SingleFlightCache(LAMBDA_TTL, jitter=0.3, clock=ctx.mono)
        self._lists: dict[Hashable, list] = {}  # stream ARN -> last good mappings
        # This poll: stream -> its mappings, and the streams whose mappings were read.
        self._mappings: dict[str, list[dict]] = {}
        self._listed: set[str] = set()

    def read(self, poll: Poll) -> None:
        self._mappings, self._listed = {}, set()
        for s in poll.streams:
            self._mappings[s.name], ok = self._of(s, poll.errs)
            if ok:
                self._listed.add(s.name)

    def _of(self, s: StreamRef, errs: dict) -> tuple[list[dict], bool]:
        """The stream's event source mappings, and whether they were read this poll."""
        note = self.ctx.denied_note("lambda")
        if note:
            errs["lag:lambda"] = note
            return [], False
        if not s.arn or self.ctx.lambda_client is None:
            return [], True
        found = self.ctx.guard(
            "lambda",
            f"lag:lambda:{s.name}",
            "ListEventSourceMappings",
            errs,
            # One account-wide listing serves every stream: one paginated call per refresh of
            # the cache instead of one call per stream.
            lambda: [
                m for m in self._all.get("all", self._list_all) if m.get("EventSourceArn") == s.arn
            ],
        )
        return self._last_good(s.arn, found, errs), found is not None

    def _last_good(self, arn: str, found: list | None, errs: dict) -> list:
        """A list that failed to refresh keeps its last good value, so its consumers' lag
        metrics are still read (their rows keep their last judgement meanwhile), unless the
        whole kind was just turned off."""
        if found is not None:
            self._lists[arn] = list(found)
        elif "lag:lambda" in errs:
            self._lists.pop(arn, None)
        return self._lists.get(arn, [])

    def _list_all(self) -> list[dict]:
        mappings: list[dict] = []
        for page in pages(self.ctx.lambda_client, "list_event_source_mappings", self.ctx.gate):
            mappings.extend(page.get("EventSourceMappings", ()))
        return mappings

    def queries(self) -> Iterator[MetricQuery]:
        for mappings in self._mappings.values():
            for m in mappings:
                fn = function_name(m)
                yield MetricQuery(
                    ("lambda", fn), "AWS/Lambda", "IteratorAge", (("FunctionName", fn),), "Maximum"
                )

    def rows(self, stream: Judging, rows: Rows) -> list[ConsumerLag]:
        name = stream.ref.name
        if name not in self._listed:
            return rows.keep(name, "lambda")
        return [
            rows.judge((name, "lambda", function_name(m)), partial(self._judge, stream, m))
            for m in self._mappings[name]
        ]

    def _judge(self, stream: Judging, mapping: Mapping) -> ConsumerLag:
        fn = function_name(mapping)
        points = self.ctx.points(("lambda", fn))
        state = str(mapping.get("State") or "")
        result = mapping.get("LastProcessingResult")
        stopped = [f"mapping {state}"] if state in ("Disabled", "Disabling") else []
        warned = []
        if result and result not in LAMBDA_OK_RESULTS:
            warned.append("the last batch was not processed")
        notes = [f"mapping {state}" if state else None]
        if result:
            notes.append(f"last result: {result}")
        v = stream.verdict(
            points,
            stopped=stopped,
            warned=warned,
            silent_means_stop=stream.silent_means_stop and state == "Enabled",
        )
        note = "; ".join(n for n in notes if n) or None
        details = {
            "uuid": mapping.get("UUID"),
            "state": state or None,
            "batch_size": mapping.get("BatchSize"),
            "parallelization_factor": mapping.get("ParallelizationFactor"),
            "last_result": result,
            "starting_position": mapping.get("StartingPosition"),
            "function_arn": mapping.get("FunctionArn"),
        }
        return from_verdict("lambda", fn, v, points, note=note, details=strings_only(details))

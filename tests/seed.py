"""Seed streams and CloudWatch datapoints whose right answers are known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
MIB = 1024 * 1024

# Tests run "now" at this minute boundary + 30 s; data is seeded for the minutes before it.
NOW = datetime(2026, 11, 25, 12, 0, 30, tzinfo=timezone.utc)


def minute(n_ago: int, now: datetime = NOW) -> datetime:
    """Start of the minute ``n_ago`` minutes before the current (incomplete) one."""
    base = now.replace(second=0, microsecond=0)
    return base - timedelta(minutes=n_ago)


@dataclass
class Seeder:
    kinesis: object
    cloudwatch: object

    def stream(self, name: str, shards: int | None = 1, on_demand: bool = False) -> None:
        if on_demand:
            self.kinesis.create_stream(
                StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"}
            )
        else:
            self.kinesis.create_stream(StreamName=name, ShardCount=shards)

    def metric(
        self,
        stream: str,
        name: str,
        values: dict[int, float],
        *,
        maximum: float | None = None,
        now: datetime = NOW,
    ) -> None:
        """One datum per minute: ``values`` maps minutes-ago -> Sum (and Maximum)."""
        data = [
            {
                "MetricName": name,
                "Dimensions": [{"Name": "StreamName", "Value": stream}],
                "Timestamp": minute(ago, now),
                "StatisticValues": {
                    "SampleCount": 60.0,
                    "Sum": float(v),
                    "Minimum": 0.0,
                    "Maximum": float(v if maximum is None else maximum),
                },
            }
            for ago, v in values.items()
        ]
        for i in range(0, len(data), 20):
            self.cloudwatch.put_metric_data(Namespace="AWS/Kinesis", MetricData=data[i : i + 20])

    def steady(self, stream: str, name: str, per_minute: float, minutes: int = 10, **kw) -> None:
        self.metric(stream, name, {ago: per_minute for ago in range(1, minutes + 1)}, **kw)

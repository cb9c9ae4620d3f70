"""kmon: a live terminal dashboard for AWS Kinesis Data Streams."""

__version__ = "0.1.0"

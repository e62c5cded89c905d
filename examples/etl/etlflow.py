"""A data-heavy ETL: extract partitions of a large external dataset, transform, load.

The source dataset sits in an S3 bucket (a Parameter), so where `extract` runs decides
how many gigabytes leave AWS. `transform` fans out per partition, `load` joins and
writes the warehouse table, `end` reports row counts.
"""

from metaflow import FlowSpec, Parameter, kubernetes, resources, step


class EtlFlow(FlowSpec):
    """Extract, transform and load a partitioned external dataset."""

    source = Parameter(
        "source",
        default="s3://placer-example-data/clickstream/2026/",
        help="S3 prefix of the raw dataset (roughly 200 GB).",
    )
    partitions = Parameter("partitions", default=16, help="Partitions to process in parallel.")

    @step
    def start(self):
        """Plan the partitions of the source dataset."""
        self.parts = [f"{self.source}day={d:02d}/" for d in range(1, int(self.partitions) + 1)]
        self.next(self.extract, foreach="parts")

    @resources(cpu=2, memory=8192, disk=51200)
    @kubernetes
    @step
    def extract(self):
        """Read one partition from the source bucket."""
        self.part = self.input
        self.rows = 1_000_000
        self.next(self.transform)

    @resources(cpu=4, memory=16384)
    @kubernetes(node_selector={"outerbounds.co/provider": "aws"})
    @step
    def transform(self):
        """Clean and aggregate one partition."""
        self.clean_rows = int(self.rows * 0.9)
        self.next(self.load)

    @kubernetes(cpu=2, memory=4096, compute_pool="warehouse")
    @step
    def load(self, inputs):
        """Write every transformed partition to the warehouse."""
        self.total_rows = sum(inp.clean_rows for inp in inputs)
        self.next(self.end)

    @step
    def end(self):
        """Report how much was loaded."""
        print(f"loaded {self.total_rows} rows")


if __name__ == "__main__":
    EtlFlow()

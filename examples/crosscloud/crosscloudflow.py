"""A cross-cloud fan-out: list shards in the primary cloud, process them on Azure.

`start` builds the list of dataset shards from a manifest prefix (the primary cloud,
AWS), `process` runs once per shard on an Azure node pool, `join` gathers the results
and `end` prints a summary. No network is touched when the file is imported.
"""

from metaflow import FlowSpec, Parameter, kubernetes, resources, step


class CrossCloudFlow(FlowSpec):
    """Fan out dataset shards across clouds and gather the results."""

    manifest = Parameter(
        "manifest",
        default="s3://placer-example-data/names/",
        help="Prefix of the dataset shards to process.",
    )
    shards = Parameter("shards", default=8, help="How many shards to split the dataset into.")

    @kubernetes(node_selector="outerbounds.co/provider=aws")
    @step
    def start(self):
        """List the dataset shards (in the primary cloud)."""
        self.titles = [f"{self.manifest}part-{i:05d}.txt" for i in range(int(self.shards))]
        self.next(self.process, foreach="titles")

    @resources(cpu=1, memory=512)
    @kubernetes(node_selector="outerbounds.co/provider=azure")
    @step
    def process(self):
        """Process one shard on Azure."""
        self.title = f"{self.input} processed"
        self.next(self.join)

    @step
    def join(self, inputs):
        """Gather every shard's result."""
        self.results = [inp.title for inp in inputs]
        self.next(self.end)

    @step
    def end(self):
        """Print what was processed."""
        print("\n".join(self.results))


if __name__ == "__main__":
    CrossCloudFlow()

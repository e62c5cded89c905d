"""Static and conditional branching: a split joined back, then a switch.

`start` splits into `features` and `labels` (both run), `merge` joins them; `route`
is a switch that runs exactly one of `quick` or `thorough` depending on the `mode`
artifact, and both lead to `report` (a plain step: a switch is not joined).
"""

from metaflow import FlowSpec, Parameter, kubernetes, resources, step


class BranchFlow(FlowSpec):
    """A static split and a switch on a run-time value."""

    mode_param = Parameter("mode", default="quick", help="quick or thorough")

    @step
    def start(self):
        """Fan out to two independent branches."""
        self.next(self.features, self.labels)

    @resources(cpu=2, memory=4096)
    @kubernetes(
        node_selector="outerbounds.co/provider=gcp,topology.kubernetes.io/region=us-central1"
    )
    @step
    def features(self):
        """Compute features."""
        self.n_features = 128
        self.next(self.merge)

    @kubernetes(cpu=0.5, memory=512)
    @step
    def labels(self):
        """Load labels."""
        self.n_labels = 10
        self.next(self.merge)

    @step
    def merge(self, inputs):
        """Join the two branches."""
        self.merge_artifacts(inputs)
        self.next(self.route)

    @step
    def route(self):
        """Pick one path at run time."""
        self.mode = self.mode_param
        self.next({"quick": self.quick, "thorough": self.thorough}, condition="mode")

    @step
    def quick(self):
        """The cheap path."""
        self.result = "quick"
        self.next(self.report)

    @resources(cpu=16, memory=65536)
    @kubernetes(compute_pool="large")
    @step
    def thorough(self):
        """The expensive path."""
        self.result = "thorough"
        self.next(self.report)

    @step
    def report(self):
        """Whichever path ran ends here."""
        print(self.result)
        self.next(self.end)

    @step
    def end(self):
        """Done."""


if __name__ == "__main__":
    BranchFlow()

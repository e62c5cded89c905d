"""Hyper-parameter search on GPUs: prepare data, train one model per setting, pick the best.

`prepare` builds the feature set on CPU, `train` fans out over a grid of learning rates
on one GPU each, `evaluate` joins and keeps the best model, `end` reports it.
"""

from metaflow import FlowSpec, Parameter, kubernetes, resources, retry, step


class TrainFlow(FlowSpec):
    """Train one model per learning rate on GPUs and keep the best."""

    dataset = Parameter(
        "dataset",
        default="s3://placer-example-data/images/train/",
        help="Where the training images live.",
    )
    epochs = Parameter("epochs", default=3, help="Epochs per training run.")

    @step
    def start(self):
        """Define the hyper-parameter grid."""
        self.learning_rates = [0.1, 0.03, 0.01, 0.003]
        self.next(self.prepare)

    @resources(cpu=8, memory=32768, disk=102400)
    @kubernetes
    @step
    def prepare(self):
        """Turn raw images into a feature set (CPU heavy, no GPU)."""
        self.features = f"{self.dataset}features.parquet"
        self.next(self.train, foreach="learning_rates")

    # 3 vCPU and 12000 MB fit a 4-vCPU, 16-GiB L4 node (g6.xlarge leaves 3.79 vCPU and
    # 15.0 GiB for pods on EKS): asking for cpu=4 would need the next size up.
    @retry(times=2)
    @resources(cpu=3, memory=12000, gpu=1)
    @kubernetes(
        gpu=1,
        gpu_vendor="nvidia",
        tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    )
    @step
    def train(self):
        """Train one model with one learning rate on one GPU."""
        self.learning_rate = self.input
        # A stand-in for the real training loop: lower learning rates score better here.
        self.score = 1.0 - self.learning_rate * int(self.epochs) / 10.0
        self.next(self.evaluate)

    @kubernetes(cpu=2, memory=8192)
    @step
    def evaluate(self, inputs):
        """Keep the best-scoring model."""
        best = max(inputs, key=lambda inp: inp.score)
        self.best_learning_rate = best.learning_rate
        self.best_score = best.score
        self.next(self.end)

    @step
    def end(self):
        """Report the winner."""
        print(f"best learning rate {self.best_learning_rate}: score {self.best_score:.3f}")


if __name__ == "__main__":
    TrainFlow()

"""The training-memory, time and cost estimator (pure).

``memory`` sizes one GPU's peak, ``cost`` turns FLOPs into hours and dollars per flavour,
``workload`` reads how much the run trains on, ``estimator`` puts them together.
"""

from workflow.core.estimate.estimator import Estimate, EstimateError, EstimateInput, estimate, estimate_for_package

__all__ = ["Estimate", "EstimateError", "EstimateInput", "estimate", "estimate_for_package"]

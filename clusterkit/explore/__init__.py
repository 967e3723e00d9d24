"""Exploring many candidate groupings: Pareto sweeps over the blend weight and seeded ensembles.

Every candidate is a picklable task (:mod:`clusterkit.explore.candidates`) through the executor seam, so a
sweep or an ensemble runs the same on a local process pool or a Dask cluster, with the same result.
"""

from clusterkit.explore.candidates import (CRITERIA, Candidate, CandidateTask, solve_candidate)
from clusterkit.explore.diversity import Diversity, PracticeStability
from clusterkit.explore.ensemble import DEFAULT_MIN_VI, Ensemble, build_ensemble
from clusterkit.explore.pareto import non_dominated
from clusterkit.explore.sweep import DEFAULT_WEIGHTS, Sweep, sweep_weights

__all__ = [
           "CRITERIA",
           "DEFAULT_MIN_VI",
           "DEFAULT_WEIGHTS",
           "Candidate",
           "CandidateTask",
           "Diversity",
           "Ensemble",
           "PracticeStability",
           "Sweep",
           "build_ensemble",
           "non_dominated",
           "solve_candidate",
           "sweep_weights",
]

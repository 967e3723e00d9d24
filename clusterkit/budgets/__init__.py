"""Specialty budgets: the problem, the candidate holders of each network, and the results with exposure."""

from clusterkit.budgets.problem import BudgetProblem, Consortium, Specialty, parse_schedule
from clusterkit.budgets.results import BudgetAssignment, Holding, NetworkResult, exposure_table

__all__ = ["BudgetAssignment", "BudgetProblem", "Consortium", "Holding", "NetworkResult", "Specialty",
           "exposure_table", "parse_schedule"]

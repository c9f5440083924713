"""Costs: spending norms (định mức) as dated data, and later estimates, expenditures and allowances."""

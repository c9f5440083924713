"""Budget structure of the programme: lines per year, funding sources, allocations."""

"""Reports and monitoring: people trained, women's share, costs and results, as the province submits them."""

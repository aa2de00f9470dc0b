"""What every console page shares: the request kit (views), dependencies, the menu, chart shapes."""

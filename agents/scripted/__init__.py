"""Random and scripted agents for every game: thin wrappers over the games' numba bots."""

"""The leaderboard: evaluation runner, statistics (interval estimates, ratings) and reports."""

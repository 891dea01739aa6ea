"""Planning: budgets and their versions and lines, budget files, Cost Explorer's month forecast and the
twelve-month forecasts."""

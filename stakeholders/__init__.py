"""People and who owns what: stakeholders, teams and business units, ownership of cost scopes, third-party
engagements, readiness, and the role helpers every other layer uses to decide what a user may see and do."""

"""Commitments: Savings Plans and Reserved Instance coverage and utilisation, pulled from Cost
Explorer."""

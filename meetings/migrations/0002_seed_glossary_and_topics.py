"""Seed the glossary and the topic catalogue from the practice (AWS Well-Architected COST01-BP02).

Existing rows (matched by slug) are left as they are, so an organisation's own edits survive; reversing
removes only rows still carrying a seeded slug.
"""

from django.db import migrations

GLOSSARY = [
    (
        "unblended-cost",
        "Unblended cost",
        "The cost of usage at the rate actually charged at the moment it happened, line by line. Usage "
        "covered by a Reserved Instance or Savings Plan shows at its discounted rate; an upfront payment "
        "appears as one large charge on the day it is paid. It is what most invoices add up to.",
        "A $12,000 all-upfront Reserved Instance bought on 1 March shows as $12,000 unblended cost on "
        "1 March and about $0 a day afterwards for the instances it covers.",
        "cash cost",
    ),
    (
        "blended-cost",
        "Blended cost",
        "An averaged rate: for usage shared across the accounts of an AWS Organization, AWS averages the "
        "on-demand and reserved rates of the same usage type and charges every account that average. "
        "Useful for consolidated views; misleading for one team, whose cost then depends on what other "
        "accounts bought.",
        "Two accounts run the same instance type, one covered by a reservation: with blended cost both "
        "show the same hourly rate, halfway between.",
        "",
    ),
    (
        "amortised-cost",
        "Amortised cost",
        "Commitment costs spread over the period they cover: an upfront or recurring Reserved Instance or "
        "Savings Plan fee is divided across each hour of its term and charged to the usage it covered. "
        "Finance's accrual view of the same money, and the fairest view of what a workload costs to run.",
        "The $12,000 one-year upfront Reserved Instance shows as about $32.88 a day for 365 days, on the "
        "instances it covered.",
        "amortized cost, accrual view",
    ),
    (
        "net-amortised-cost",
        "Net amortised cost",
        "Amortised cost after the discounts negotiated with AWS are taken off, such as an Enterprise "
        "Discount Program or private pricing. The closest figure to what the organisation actually pays for "
        "its usage, with commitments spread over their term.",
        "",
        "net amortized cost",
    ),
    (
        "credits",
        "Credits",
        "Amounts AWS applies to reduce a bill, for example promotional, migration or support credits. They "
        "appear as negative line items. Reports should show spend before and after credits, because credits "
        "expire and the underlying run rate will then be paid in full.",
        "",
        "promotional credits",
    ),
    (
        "refunds",
        "Refunds",
        "Money AWS returns for charges already billed, such as a service-level credit or a correction. They "
        "appear as negative amounts in the month the refund is issued, not in the month of the original "
        "charge, so a month can look cheaper than its usage was.",
        "",
        "",
    ),
    (
        "savings-plan",
        "Savings Plan",
        "A commitment to spend a fixed amount per hour (for example $10/hour) on compute for one or three "
        "years in exchange for lower rates. Compute Savings Plans apply across instance families, regions, "
        "Fargate and Lambda; EC2 Instance Savings Plans are cheaper but tied to one instance family in one "
        "region. The commitment is paid whether or not it is used.",
        "",
        "SP, Compute Savings Plan",
    ),
    (
        "reserved-instance",
        "Reserved Instance",
        "A one- or three-year commitment to a specific instance type (or database, cache or search node) in "
        "a region, in exchange for a discount of up to roughly 70% against on-demand. Paid all upfront, "
        "partly upfront or monthly. Unlike a Savings Plan it is tied to its attributes, so it stops saving "
        "money if the workload moves to another type.",
        "",
        "RI, reservation",
    ),
    (
        "coverage",
        "Coverage",
        "The share of eligible usage that a commitment (Savings Plan or Reserved Instance) pays for; the rest "
        "is charged on-demand. Low coverage means money left on the table; 100% leaves no room to shrink.",
        "80% coverage: 80 of every 100 eligible instance-hours ran at the discounted rate.",
        "",
    ),
    (
        "utilisation",
        "Utilisation",
        "The share of a commitment that was actually used. Unused commitment is still paid for, so low "
        "utilisation is pure waste; it usually follows a workload being resized, moved or retired.",
        "A $10/hour Savings Plan against $8/hour of eligible usage is 80% utilised: $2 an hour is wasted.",
        "utilization",
    ),
    (
        "on-demand",
        "On-demand",
        "Paying the list price per second or hour with no commitment. The most flexible and the most "
        "expensive way to run steady usage; the right choice for short-lived or unpredictable work.",
        "",
        "pay as you go",
    ),
    (
        "showback",
        "Showback",
        "Reporting to each team or business unit what its cloud usage cost, without moving money between "
        "budgets. It builds awareness and ownership before chargeback, and needs a sound cost allocation.",
        "",
        "",
    ),
    (
        "chargeback",
        "Chargeback",
        "Charging each team or business unit's budget for the cloud cost it caused, through internal "
        "accounting. Requires allocation everyone accepts, including rules for shared costs such as support, "
        "networking and commitments.",
        "",
        "internal recharge",
    ),
    (
        "variance",
        "Variance",
        "The difference between an actual figure and what was expected: budget, forecast or the recent run "
        "rate. Reviewed when it crosses an agreed threshold; the owning team explains it and finance accepts "
        "or challenges the explanation.",
        "Actual $118,000 against a $100,000 budget is an $18,000 (18%) unfavourable variance.",
        "",
    ),
    (
        "forecast",
        "Forecast",
        "The expected cost of a future period, from the current trend plus known changes (launches, "
        "migrations, commitments expiring). Finance plans with it; a forecast is revised as the period "
        "goes on, unlike a budget, which is set once.",
        "",
        "projection",
    ),
    (
        "run-rate",
        "Run rate",
        "Current spend extended over a longer period, assuming nothing changes: for example the last seven "
        "days' average daily cost times 30 for a monthly run rate. A quick signal of where a month is "
        "heading, but blind to seasonality and planned change.",
        "",
        "",
    ),
    (
        "estimated-figures",
        "Estimated figures",
        "Cost for recent days is provisional: AWS keeps refining it for up to about 24-48 hours, and the "
        "month's figures can still change until the invoice is issued in the first days of the next month. "
        "Reports mark such figures as estimated; decisions on them should allow for movement.",
        "",
        "estimated, provisional",
    ),
    (
        "focus-billed-cost",
        "FOCUS billed cost",
        "In the FinOps Open Cost and Usage Specification (FOCUS), BilledCost is what is invoiced for a row: "
        "cash-basis, including upfront commitment purchases when they are billed. It reconciles to the "
        "invoice.",
        "",
        "BilledCost",
    ),
    (
        "focus-effective-cost",
        "FOCUS effective cost",
        "In FOCUS, EffectiveCost is the amortised cost of a row after discounts: commitment purchases are "
        "spread over the usage they cover. Sum it to see what a workload really costs; sum BilledCost to "
        "match the invoice. Over a commitment's full term the two totals agree.",
        "",
        "EffectiveCost",
    ),
]

REVIEW = {"monthly": 30, "quarterly": 91, "half-yearly": 182, "yearly": 365}

TOPICS = [
    (
        "pricing-models",
        "Pricing models",
        "How the provider charges: on-demand, commitments (Savings Plans, Reserved Instances), Spot capacity "
        "and the per-unit dimensions each service bills on (hours, requests, gigabytes stored or "
        "transferred). Finance needs to know which costs are fixed and which scale with usage; technology "
        "needs to know how design choices change the bill.",
        "technology",
        ["Architecture review", "Budgeting"],
        "quarterly",
        ["on-demand", "savings-plan", "reserved-instance"],
    ),
    (
        "tiered-pricing",
        "Tiered pricing",
        "Rates that fall as volume grows (storage, data transfer, requests) and the consolidated-billing "
        "effect of pooling usage across accounts. Explains why unit cost changes without any change in rate "
        "card, and why one account's growth lowers another's cost.",
        "finance",
        ["Cost allocation", "Forecasting"],
        "half-yearly",
        ["blended-cost", "unblended-cost"],
    ),
    (
        "discount-models",
        "Discount models: Reserved Instances and Savings Plans",
        "Which commitments the organisation holds, their coverage and utilisation, when they expire, and "
        "what to buy next. Finance brings cash-flow and approval limits; technology brings the workload "
        "roadmap that decides what usage is steady enough to commit.",
        "finance",
        ["Commitment purchasing", "Budgeting", "Procurement"],
        "monthly",
        ["reserved-instance", "savings-plan", "coverage", "utilisation", "amortised-cost"],
    ),
    (
        "budgeting",
        "Budgeting",
        "Setting the cloud budget per business unit, team and account for the financial year, and how "
        "cloud's variable spend fits an annual fixed budget. Agrees who owns each budget line and the "
        "thresholds at which a variance is reviewed.",
        "finance",
        ["Annual planning", "Budget approval"],
        "quarterly",
        ["variance", "forecast", "amortised-cost"],
    ),
    (
        "forecasting",
        "Forecasting",
        "How spend is forecast (trend, driver-based, bottom-up from team plans), how accurate past forecasts "
        "were, and the known changes ahead: launches, migrations, decommissions and commitment expiries.",
        "finance",
        ["Rolling forecast", "Capacity planning"],
        "monthly",
        ["forecast", "run-rate", "estimated-figures"],
    ),
    (
        "financial-requirements",
        "Financial requirements",
        "What finance needs from cloud cost data: which cost view (billed or amortised) reports use, "
        "accruals at month end, capitalisation rules, currency, tax and the evidence auditors ask for.",
        "finance",
        ["Month-end close", "Audit", "Reporting"],
        "half-yearly",
        ["amortised-cost", "focus-billed-cost", "focus-effective-cost"],
    ),
    (
        "procurement-and-accounts-payable",
        "Procurement and accounts-payable process",
        "How cloud is bought and paid: purchase orders against a usage-based bill, marketplace purchases, "
        "who may buy commitments, invoice approval, payment terms and the matching of invoices to the "
        "organisation's ledgers.",
        "finance",
        ["Procurement", "Accounts payable", "Vendor management"],
        "half-yearly",
        ["focus-billed-cost", "credits", "refunds"],
    ),
    (
        "cost-allocation",
        "Cost allocation",
        "How each cost lands on an owner: the account structure, mandatory tags, cost categories and the "
        "split of shared costs (support, networking, commitments). The basis of showback and chargeback; "
        "its gaps show up as unallocated spend.",
        "technology",
        ["Tagging policy", "Account vending", "Showback and chargeback"],
        "monthly",
        ["showback", "chargeback", "amortised-cost"],
    ),
    (
        "incentive-tracking",
        "Incentive tracking",
        "Credits, migration and modernisation funding, private pricing and enterprise discounts: what was "
        "agreed, what has been claimed, what expires when, and their effect on reported cost.",
        "finance",
        ["Vendor management", "Contract management"],
        "quarterly",
        ["credits", "net-amortised-cost"],
    ),
    (
        "financial-statements",
        "Financial statements",
        "How cloud spend appears in the profit-and-loss and balance sheet: operating versus capital expense, "
        "prepaid commitments as assets amortised over their term, and cost of goods sold for customer-facing "
        "workloads.",
        "finance",
        ["Month-end close", "Statutory reporting"],
        "yearly",
        ["amortised-cost", "unblended-cost"],
    ),
    (
        "cost-lifecycle",
        "Cost lifecycle: creation, allocation, forecast, invoice, payment",
        "The path of a cost from the moment an engineer creates a resource, through its allocation to an "
        "owner, its place in the forecast, the monthly invoice, to payment. Each step has an owner; the "
        "partnership checks the hand-offs line up and that figures reconcile end to end.",
        "finance",
        ["Provisioning", "Cost allocation", "Forecasting", "Invoice processing", "Payment"],
        "quarterly",
        ["estimated-figures", "forecast", "focus-billed-cost", "focus-effective-cost"],
    ),
]


def seed(apps, schema_editor):
    GlossaryTerm = apps.get_model("meetings", "GlossaryTerm")
    Topic = apps.get_model("meetings", "Topic")
    for slug, term, definition, example, aliases in GLOSSARY:
        GlossaryTerm.objects.get_or_create(
            slug=slug, defaults={"term": term, "definition": definition, "example": example, "aliases": aliases}
        )
    for slug, name, description, group, processes, frequency, terms in TOPICS:
        topic, created = Topic.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "owning_group": group,
                "processes": processes,
                "review_frequency_days": REVIEW[frequency],
            },
        )
        if created:
            topic.glossary_terms.set(GlossaryTerm.objects.filter(slug__in=terms))


def unseed(apps, schema_editor):
    apps.get_model("meetings", "Topic").objects.filter(slug__in=[t[0] for t in TOPICS]).delete()
    apps.get_model("meetings", "GlossaryTerm").objects.filter(slug__in=[g[0] for g in GLOSSARY]).delete()


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

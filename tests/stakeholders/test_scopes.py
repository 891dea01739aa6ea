"""The pure scope rules: account ids, precedence of a cost row's scopes, scope lines."""

from stakeholders import scopes
from stakeholders.scopes import Scope


def test_a_twelve_digit_account_id_is_valid():
    assert scopes.account_id_error("210987654321") is None


def test_a_thirteen_digit_account_id_is_refused_with_its_length():
    assert "13" in scopes.account_id_error("2109876543210")


def test_an_account_id_with_letters_or_spaces_is_refused():
    assert scopes.account_id_error("21098765432a")
    assert scopes.account_id_error(" 210987654321")
    assert scopes.account_id_error("")


def test_scope_errors_name_the_field():
    assert set(scopes.scope_errors("account", "", "123")) == {"scope_value"}
    assert set(scopes.scope_errors("tag", "", "payments")) == {"scope_key"}
    assert set(scopes.scope_errors("service", "team", "AWS Config")) == {"scope_key"}
    assert set(scopes.scope_errors("planet", "", "x")) == {"scope_kind"}
    assert scopes.scope_errors("cost_category", "Environment", "prod") == {}


def test_row_scopes_come_in_order_tag_category_account_service():
    ordered = scopes.row_scopes(
        account_id="210987654321",
        service="AWS Config",
        tags={"team": "payments", "app": "checkout"},
        cost_categories={"Environment": "prod"},
    )
    assert ordered == [
        Scope("tag", "app", "checkout"),
        Scope("tag", "team", "payments"),
        Scope("cost_category", "Environment", "prod"),
        Scope("account", "", "210987654321"),
        Scope("service", "", "AWS Config"),
    ]


def test_an_empty_tag_value_is_not_a_scope():
    assert scopes.row_scopes(account_id="210987654321", service="", tags={"team": ""}) == [
        Scope("account", "", "210987654321")
    ]


def test_resolve_returns_the_first_claimed_scope():
    claimed = {Scope("account", "", "210987654321"): "acct", Scope("service", "", "AWS Config"): "svc"}
    assert scopes.resolve(claimed, account_id="210987654321", service="AWS Config", tags={"team": "x"}) == (
        Scope("account", "", "210987654321"),
        "acct",
    )
    assert scopes.resolve(claimed, account_id="999999999999", service="Other") is None


def test_parse_scope_line_reads_each_kind_and_refuses_bad_lines():
    assert scopes.parse_scope_line("tag team=payments") == (Scope("tag", "team", "payments"), None)
    assert scopes.parse_scope_line("service Amazon Relational Database Service")[0] == Scope(
        "service", "", "Amazon Relational Database Service"
    )
    assert scopes.parse_scope_line("account 2109876543210")[1].startswith("An AWS account id is exactly 12")
    assert scopes.parse_scope_line("tag payments")[1]
    assert scopes.parse_scope_line("bucket x")[1]

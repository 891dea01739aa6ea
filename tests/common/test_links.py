"""Links that leave the product are the site's address and a path."""

from __future__ import annotations

from common.links import absolute_url


def test_an_absolute_url_is_the_site_and_the_path_with_one_slash(settings):
    settings.SITE_URL = "https://partnership.example.com/"
    assert absolute_url("/meetings/3/") == "https://partnership.example.com/meetings/3/"
    assert absolute_url() == "https://partnership.example.com"

"""Review packs: what a review meeting looked at, frozen when the pack was generated.

Imported at the end of meetings/models.py so Django finds the model in the meetings app. The table keeps
the name it had when the packs lived with the dashboards (costdata_reviewpack).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class ReviewPack(models.Model):
    """One version of a meeting's review pack. Its content never changes after it is generated.

    `content` holds, per section (the overview, then each agenda item), the charts' plotly JSON and the
    exact tables behind them, as they were at `generated_at`, so minutes refer to what was seen.
    Regenerating adds a new version; earlier versions stay readable.
    """

    meeting = models.ForeignKey("Meeting", on_delete=models.CASCADE, related_name="review_packs")
    version = models.PositiveIntegerField()
    generated_at = models.DateTimeField(default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.DateField(help_text="The first of the month the pack is about.")
    basis = models.CharField(max_length=16, default="unblended")
    currency = models.CharField(max_length=3, blank=True)
    data_up_to = models.DateField(null=True, blank=True, help_text="The last day of cost data it saw.")
    content = models.JSONField(default=dict)

    class Meta:
        db_table = "costdata_reviewpack"
        ordering = ["meeting", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "version"], name="uniq_review_pack_version")
        ]

    def __str__(self) -> str:
        return f"Review pack v{self.version} for {self.meeting}"

    def get_absolute_url(self) -> str:
        return reverse("review-pack-detail", kwargs={"pk": self.pk})

from __future__ import annotations

from django import forms
from django.conf import settings


class FocusUploadForm(forms.Form):
    file = forms.FileField(
        help_text="A FOCUS 1.0 export: CSV, CSV compressed with gzip (.csv.gz), or Parquet if pyarrow is installed."
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
            raise forms.ValidationError(
                f"The file is larger than {limit} MB: import it with manage.py import_focus."
            )
        return upload

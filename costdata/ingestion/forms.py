from __future__ import annotations

from django import forms

MAX_UPLOAD_BYTES = 512 * 1024 * 1024


class FocusUploadForm(forms.Form):
    file = forms.FileField(
        help_text="A FOCUS 1.0 export: CSV, CSV compressed with gzip (.csv.gz), or Parquet if pyarrow is installed."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "The file is larger than 512 MB: import it with manage.py import_focus."
            )
        return upload

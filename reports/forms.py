"""Filter forms of the report pages. Each is bound to the query string merged over its
defaults, so a page without parameters shows the default selection and a bad parameter
gives a 400 with the form's message."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from reports.managers import CUSTOMER_VALUE_SORT_KEYS, FOLLOW_BASES, MOVEMENT_TYPES
from warehouse.calendar import add_months, month_start, months_between, reporting_today

MAX_MONTHS = 240
MAX_DAYS = 3660


class MonthField(forms.Field):
    """A calendar month, entered as YYYY-MM (a full date YYYY-MM-DD is taken as its month)."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"})
    default_error_messages = {"invalid": "Enter a month as YYYY-MM, for example 2025-03."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        for pattern in ("%Y-%m", "%Y-%m-%d"):
            try:
                parsed = dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
            if not 1970 <= parsed.year <= 9998:
                break
            return month_start(parsed)
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def prepare_value(self, value):
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return value


class ReportFilterForm(forms.Form):
    """Base: `for_query(query_dict)` binds the query string over the form's defaults."""

    @classmethod
    def defaults(cls) -> dict:
        return {}

    @classmethod
    def for_query(cls, query):
        data = {key: str(value) for key, value in cls.defaults().items()}
        for name in cls.base_fields:
            if name in query:
                data[name] = query.get(name)
        return cls(data)

    def error_message(self) -> str:
        return " ".join(
            f"{self.fields[name].label if name in self.fields else ''}: {message}".lstrip(": ")
            for name, messages in self.errors.items()
            for message in messages
        )


class MonthRangeForm(ReportFilterForm):
    start = MonthField(label="From month")
    end = MonthField(label="To month")

    @classmethod
    def defaults(cls) -> dict:
        this_month = month_start(reporting_today())
        return {
            "start": add_months(this_month, -12).strftime("%Y-%m"),
            "end": this_month.strftime("%Y-%m"),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise ValidationError("The first month must not be after the last month.")
            if months_between(start, end) >= MAX_MONTHS:
                raise ValidationError(f"Choose at most {MAX_MONTHS} months.")
        return cleaned


class TrailingMonthsForm(MonthRangeForm):
    """A month range defaulting to the trailing 12 months (this month to date included)."""

    @classmethod
    def defaults(cls) -> dict:
        this_month = month_start(reporting_today())
        return {
            "start": add_months(this_month, -11).strftime("%Y-%m"),
            "end": this_month.strftime("%Y-%m"),
        }


LTV_WINDOWS = (3, 6, 12)


class LtvFilterForm(MonthRangeForm):
    window = forms.TypedChoiceField(
        label="LTV window",
        choices=[(n, f"{n} full months") for n in LTV_WINDOWS],
        coerce=int,
        help_text="Each month's LTV averages ARPU and churn over this many full months.",
    )
    # set by the table's header and pagination links, not shown as filters
    sort = forms.ChoiceField(
        choices=[(key, key.replace("_", " ")) for key in CUSTOMER_VALUE_SORT_KEYS],
        widget=forms.HiddenInput,
    )
    direction = forms.ChoiceField(
        choices=[("desc", "descending"), ("asc", "ascending")], widget=forms.HiddenInput
    )
    page = forms.IntegerField(min_value=1, max_value=1_000_000, widget=forms.HiddenInput)

    @classmethod
    def defaults(cls) -> dict:
        return {
            **super().defaults(),
            "window": 6,
            "sort": "total_net",
            "direction": "desc",
            "page": 1,
        }


class CustomerSearchForm(ReportFilterForm):
    q = forms.CharField(
        label="Email, name, user id or Stripe id",
        required=False,
        max_length=255,
        help_text="The beginning of an email, of its domain (after the @) or of a name, any "
        "case; or an exact app user id or Stripe customer id (cus_…).",
    )
    cohort = MonthField(required=False, widget=forms.HiddenInput)
    month = MonthField(required=False, widget=forms.HiddenInput)

    def clean_q(self):
        return self.cleaned_data["q"].strip()


class CohortFilterForm(MonthRangeForm):
    cohort = MonthField(label="Follow month", required=False, help_text="Default: the first month.")
    basis = forms.ChoiceField(
        label="Follow",
        choices=[
            ("first_payment", "customers whose first payment is in that month (cohort)"),
            ("paid_in_month", "every customer paying in that month"),
        ],
    )

    @classmethod
    def defaults(cls) -> dict:
        return {**super().defaults(), "basis": FOLLOW_BASES[0]}

    def clean(self):
        cleaned = super().clean()
        start, end, cohort = cleaned.get("start"), cleaned.get("end"), cleaned.get("cohort")
        if start and end:
            if cohort is None:
                cleaned["cohort"] = start
            elif cohort > end:
                raise ValidationError("The followed month must not be after the last month.")
            elif months_between(cohort, end) >= MAX_MONTHS:
                raise ValidationError(f"Follow at most {MAX_MONTHS} months.")
        return cleaned


class MrrFilterForm(MonthRangeForm):
    """The MRR page: a month range, and optionally one month × movement type to list."""

    movement_month = MonthField(label="Movements of month", required=False)
    movement_type = forms.ChoiceField(
        label="Movement type",
        required=False,
        choices=[("", "—"), *((kind, kind) for kind in MOVEMENT_TYPES)],
    )

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("movement_month")) != bool(cleaned.get("movement_type")):
            raise ValidationError("Choose both a month and a movement type to list movements.")
        return cleaned


class ChannelFilterForm(ReportFilterForm):
    start = forms.DateField(label="From day", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To day", widget=forms.DateInput(attrs={"type": "date"}))
    os_name = forms.ChoiceField(label="OS", help_text="The operating systems installs came from.")
    top = forms.IntegerField(label="Top N", min_value=1, max_value=100)
    day = forms.DateField(
        label="Duplicates on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Default: yesterday in the reporting time zone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = self.os_names()
        self.fields["os_name"].choices = [(name, name) for name in names]

    @staticmethod
    def os_names() -> list[str]:
        from reports.models import ClientReport

        return ClientReport.objects.os_names() or ["Android"]

    @classmethod
    def defaults(cls) -> dict:
        today = reporting_today()
        names = cls.os_names()
        return {
            "start": add_months(month_start(today), -12).isoformat(),
            "end": today.isoformat(),
            "os_name": "Android" if "Android" in names else names[0],
            "top": 5,
            "day": (today - dt.timedelta(days=1)).isoformat(),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise ValidationError("The first day must not be after the last day.")
            if (end - start).days >= MAX_DAYS:
                raise ValidationError(f"Choose at most {MAX_DAYS} days.")
        for name in ("start", "end", "day"):
            value = cleaned.get(name)
            if value and not 1970 <= value.year <= 9998:
                self.add_error(name, "Choose a day between 1970 and 9998.")
        return cleaned

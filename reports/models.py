"""Report models: no tables of their own. The reports read the warehouse.

- `ReportAccess` carries the permission `reports.view_reports` (unmanaged, never queried).
- Every other model is a proxy of the warehouse table its queries read, carrying the raw-SQL
  manager that runs those queries (`reports/sql/`). Views reach SQL only through them.
"""

from django.db import models

from reports import managers
from warehouse import models as warehouse


class ReportAccess(models.Model):
    """Holds the permission to open the report pages; has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_reports", "Can view the report pages")]
        verbose_name = "report access"

    def __str__(self):
        return "report access"


class _Report:
    class Meta:
        proxy = True
        default_permissions = ()


class MonthReport(warehouse.FactMonth):
    """fact_month (one row per month): ARPU, churn, LTV (also over time), customers by kind."""

    objects = managers.MonthReportManager()

    class Meta(_Report.Meta):
        verbose_name = "month report"


class CohortMonthReport(warehouse.FactCohortMonth):
    """fact_cohort_month (one row per cohort and month): retention."""

    objects = managers.CohortMonthReportManager()

    class Meta(_Report.Meta):
        verbose_name = "cohort month report"


class FollowMonthReport(warehouse.FactFollowMonth):
    """fact_follow_month (one row per paying month and later month): a month followed."""

    objects = managers.FollowMonthReportManager()

    class Meta(_Report.Meta):
        verbose_name = "followed month report"


class CustomerLifetimeReport(warehouse.FactCustomerLifetime):
    """fact_customer_lifetime (one row per customer): per-customer values."""

    objects = managers.CustomerLifetimeReportManager()

    class Meta(_Report.Meta):
        verbose_name = "customer lifetime report"


class CustomerMonthReport(warehouse.FactCustomerMonth):
    """fact_customer_month (one row per customer per month): one customer's months."""

    objects = managers.CustomerMonthReportManager()

    class Meta(_Report.Meta):
        verbose_name = "customer month report"


class TransactionReport(warehouse.FactTransaction):
    """fact_transaction (one row per money movement): the settlement currency, each month's
    refunds, disputes and fees, and one customer's movements."""

    objects = managers.TransactionReportManager()

    class Meta(_Report.Meta):
        verbose_name = "transaction report"


class CustomerReport(warehouse.DimCustomer):
    """dim_customer (one row per customer): the customer search and page."""

    objects = managers.CustomerReportManager()

    class Meta(_Report.Meta):
        verbose_name = "customer report"


class MrrMovementReport(warehouse.FactMrrMovement):
    """fact_mrr_movement (one row per customer per day with an MRR movement) and the MRR marts
    built from it: MRR, movements, plans, cohorts, MRR by channel."""

    objects = managers.MrrReportManager()

    class Meta(_Report.Meta):
        verbose_name = "MRR movement report"


class InstallReport(warehouse.FactInstall):
    """fact_install (one row per install): duplicate installs."""

    objects = managers.InstallReportManager()

    class Meta(_Report.Meta):
        verbose_name = "install report"


class InstallDayReport(warehouse.FactInstallDay):
    """fact_install_day (one row per day, channel and OS): installs by channel and OS."""

    objects = managers.InstallDayReportManager()

    class Meta(_Report.Meta):
        verbose_name = "install day report"


class AcquisitionReport(warehouse.FactUserAcquisition):
    """fact_user_acquisition (one row per app user): the acquisition funnel."""

    objects = managers.AcquisitionReportManager()

    class Meta(_Report.Meta):
        verbose_name = "acquisition report"


class ClientReport(warehouse.DimClient):
    """dim_client (one row per client): the operating systems installs came from."""

    objects = managers.ClientReportManager()

    class Meta(_Report.Meta):
        verbose_name = "client report"

"""Report models: no tables of their own. The reports read the warehouse.

- `ReportAccess` carries the permission `reports.view_reports` (unmanaged, never queried).
- `CustomerMonthReport` (grain: one row per customer per calendar month, from
  fact_customer_month), `MrrMovementReport` (grain: one row per customer per day with an MRR
  movement, from fact_mrr_movement) and `InstallReport` (grain: one row per install, from
  fact_install) are proxies whose custom managers run the report queries in
  `reports/sql/`. Views reach SQL only through these managers.
"""

from django.db import models

from reports.managers import InstallReportManager, MrrReportManager, PaymentReportManager
from warehouse.models import FactCustomerMonth, FactInstall, FactMrrMovement


class ReportAccess(models.Model):
    """Holds the permission to open the report pages; has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_reports", "Can view the report pages")]
        verbose_name = "report access"

    def __str__(self):
        return "report access"


class CustomerMonthReport(FactCustomerMonth):
    """Payments reports (overview, ARPU, churn, LTV, cohorts) over fact_customer_month."""

    objects = PaymentReportManager()

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = "customer month report"


class MrrMovementReport(FactMrrMovement):
    """Recurring-revenue reports (MRR, movements, plans, cohorts) over fact_mrr_movement."""

    objects = MrrReportManager()

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = "MRR movement report"


class InstallReport(FactInstall):
    """Install and channel reports over fact_install."""

    objects = InstallReportManager()

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = "install report"

"""Read-only admin for the warehouse: staff browse it, only the warehouse services write it."""

from django.contrib import admin

from warehouse import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.DimDate)
class DimDateAdmin(ReadOnlyAdmin):
    list_display = ["date_sk", "date", "year", "quarter", "month", "iso_week", "weekday"]


@admin.register(models.DimCustomer)
class DimCustomerAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "user_id", "email", "country", "first_payment_at", "last_payment_at"]
    search_fields = ["stripe_id", "email", "user_id"]


@admin.register(models.DimPaymentMethod)
class DimPaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "customer", "type", "card_brand", "card_last4"]
    list_select_related = ["customer"]


@admin.register(models.FactTransaction)
class FactTransactionAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "transaction_type", "status", "customer", "occurred_at", "amount", "currency"]
    list_select_related = ["customer"]


@admin.register(models.FactCustomerMonth)
class FactCustomerMonthAdmin(ReadOnlyAdmin):
    list_display = ["customer", "month", "gross", "refunds", "disputes", "net"]
    list_select_related = ["customer"]


@admin.register(models.DimClient)
class DimClientAdmin(ReadOnlyAdmin):
    list_display = ["os_name", "app_name", "app_version", "device_name"]


@admin.register(models.DimChannel)
class DimChannelAdmin(ReadOnlyAdmin):
    list_display = ["channel_name", "channel_group", "channel_label"]


@admin.register(models.FactUserFirstInstall)
class FactUserFirstInstallAdmin(ReadOnlyAdmin):
    list_display = ["install_id", "user_id", "installed_at", "channel", "client", "country_code"]
    list_select_related = ["channel", "client"]

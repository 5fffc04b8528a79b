from django import template

from stripe_events.services.health import event_health

register = template.Library()


@register.simple_tag
def stripe_event_health() -> dict:
    return event_health()

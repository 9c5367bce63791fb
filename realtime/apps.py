from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Real-time"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_delete, post_migrate, post_save

        from realtime import checks  # noqa: F401 - checks registers the system checks
        from realtime import speedups
        from realtime.declaring.publishing import connect_signals
        from realtime.declaring.registry import registry
        from realtime.delivery.layer import ensure_deployment_identity
        from realtime.push import checks as push_checks  # noqa: F401 - and the Web Push settings' ones
        from realtime.push.receivers import forget_deactivated_user
        from realtime.sockets.protocol import register_relays
        from realtime.sockets import accounts

        connect_signals()
        register_relays(registry().publications)
        post_migrate.connect(ensure_deployment_identity, sender=self, dispatch_uid="realtime:deployment")
        if speedups.enabled():
            # The one speed-up installed once per process; the others are consulted where used.
            from realtime.speedups import autobahn

            autobahn.skip_eager_debug_formatting()
        for signal in (post_save, post_delete):
            signal.connect(accounts.forget_changed_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="realtime:accounts")
        post_save.connect(forget_deactivated_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="realtime:push")

from audit.recording import AuditedCommand
from partnership.demo import DEMO_PEOPLE, demo_organisation_seed


class Command(AuditedCommand):  # changes are audited as channel 'command'
    help = "Create the demo organisation (admin and one user per role) and pull 13 months of demo costs."

    def handle(self, *args, **options) -> None:
        result = demo_organisation_seed()
        if result.created_users:
            self.stdout.write(f"Created demo users: {', '.join(result.created_users)}")
        if result.password:
            usernames = ", ".join(["admin", *(p.username for p in DEMO_PEOPLE)])
            self.stdout.write(
                self.style.WARNING(
                    f"Demo password for {usernames}: {result.password}\n"
                    "(shown once; set DEMO_PASSWORD to choose your own. It is kept in var/demo_password.)"
                )
            )
        if result.run:
            run = result.run
            self.stdout.write(
                self.style.SUCCESS(
                    f"Pulled demo costs {run.window_start}..{run.window_end}: {run.rows_written} rows "
                    f"in {run.requests_made} requests."
                )
            )
        else:
            self.stdout.write("Demo organisation already in place.")

"""Two depositary officers (four eyes) in a test database, for the CLI tests that record
treaty actions."""

from __future__ import annotations

from judicare.auth.service import create_user, ensure_authority

OFFICERS = ("eva.depositary", "jan.depositary")


def add_depositaries(app, names: tuple[str, ...] = OFFICERS) -> None:
    with app.unit_of_work() as uow:
        ensure_authority(uow.session, "BEL-DEP", "BEL", "Depositary (test)")
        for name in names:
            create_user(uow.session, username=name, password="x" * 12,
                        role="depositary_officer", authority_id="BEL-DEP")  # fmt: skip
        uow.commit()

"""Operations commands: users, reference data, demo data, backup and restore, the reports' kept
figures (see API.md's operations contract)."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.auth.models import Role
from app.errors import DomainError
from app.extensions import db

users_cli = AppGroup("users", help="Tài khoản người dùng / user accounts.")
reference_cli = AppGroup("reference", help="Dữ liệu danh mục / reference data.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_code", help="Mã đơn vị hành chính (bắt buộc với vai trò district).")
@click.option("--name", "full_name", help="Họ và tên hiển thị.")
def create_user_command(username, role, unit_code, full_name):
    """Create a user; the password is read from standard input (one line)."""
    from app.auth import services
    from app.geo.services import find_by_code

    unit_id = None
    if unit_code:
        unit = find_by_code(unit_code)
        if unit is None:
            raise click.ClickException(f"Không có đơn vị hành chính mã {unit_code}.")
        unit_id = unit.id
    elif role == Role.district.value:
        raise click.ClickException("--unit là bắt buộc với vai trò district.")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = services.create_user(
            {"username": username, "full_name": full_name or username, "role": Role(role), "unit_id": unit_id}, password
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        details = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
        raise click.ClickException(f"{error.message} {details}".strip()) from None
    click.echo(f"Đã tạo người dùng {user.username} ({user.role.value}).")


@reference_cli.command("load")
def load_reference_command():
    """Load administrative units, ethnic groups, categories, topics and organisations (idempotent)."""
    from app.planning.reference import load_trainer_tiers
    from app.reference.services import load_reference_data

    added = load_reference_data()
    added["trainer_tiers"] = load_trainer_tiers()
    db.session.commit()
    click.echo(", ".join(f"{name}: +{count}" for name, count in added.items()))


@click.command("demo")
def demo_command():
    """Load demo data into an empty or demo database; running it twice changes nothing."""
    from app.demo.services import load_demo

    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException("Không nạp dữ liệu mẫu khi APP_ENV=production.")
    logins = load_demo(current_app.instance_path)
    if logins is None:
        click.echo("Cơ sở dữ liệu đang có tài khoản thật: không nạp dữ liệu mẫu.")
        return
    db.session.commit()
    click.echo("Tài khoản dùng thử / demo logins:")
    for username, role, password in logins:
        click.echo(f"  {username:<16} {role:<10} {password}")


@click.command("backup")
@click.argument("dest", type=click.Path())  # a str: a trailing slash means "a directory"
@click.option("--force", is_flag=True, help="Ghi đè tệp đã có.")
@with_appcontext
def backup_command(dest, force):
    """Write a consistent, checked copy of the database to DEST (a file, or a directory: timestamped name)."""
    from app.ops.backup import BackupError, backup

    try:
        outcome = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], dest, force=force)
    except BackupError as error:
        raise click.ClickException(f"Sao lưu thất bại: {error.message}") from None
    click.echo(f"Đã sao lưu vào {outcome.path} ({outcome.size:,} byte, quyền 600).")
    click.echo("Kiểm tra: " + "; ".join(outcome.checks))


@click.command("restore")
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Ghi vào cả cơ sở dữ liệu không trống.")
@with_appcontext
def restore_command(src, force):
    """Restore the backup SRC into the database of DATABASE_URL, which must be empty (stop the app first)."""
    from app.ops.backup import BackupError, alembic_revision, restore

    try:
        outcome = restore(current_app.config["SQLALCHEMY_DATABASE_URI"], src, force=force)
    except BackupError as error:
        raise click.ClickException(f"Khôi phục thất bại: {error.message}") from None
    db.engine.dispose()  # connections opened before the restore may hold the old schema
    revision, heads = alembic_revision(db.engine), schema_heads()
    click.echo(f"Đã khôi phục từ {src}. Kiểm tra: " + "; ".join(outcome.checks))
    if revision in heads:
        click.echo(f"Phiên bản lược đồ: {revision} (mới nhất).")
    else:
        click.echo(f"Phiên bản lược đồ: {revision}; chạy `flask --app app db upgrade` để nâng lên {', '.join(heads)}.")


reports_cli = AppGroup("reports", help="Số liệu báo cáo / report figures.")


@reports_cli.command("check")
@click.option("--repair", is_flag=True, help="Sửa các dòng sai lệch (trong một giao dịch).")
def check_reports_command(repair):
    """Check what the reports read (trained pairs and groups) against the attendance rows; exit 1 on drift."""
    from app.reports import kept

    found = kept.repair() if repair else kept.check()
    db.session.commit()
    click.echo(
        f"Cặp người-hoạt động: {found.stale_pairs} sai/thừa, {found.missing_pairs} thiếu; "
        f"nhóm cả giai đoạn: {found.stale_groups} sai/thừa, {found.missing_groups} thiếu."
    )
    if found.clean:
        click.echo("Số liệu báo cáo khớp với dữ liệu điểm danh.")
    elif repair:
        click.echo("Đã sửa. / Repaired.")
    else:
        click.echo("Có sai lệch: chạy lại với --repair. / Drift found: run again with --repair.", err=True)
        sys.exit(1)


def schema_heads() -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_heads())


def register_cli(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(reference_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(reports_cli)

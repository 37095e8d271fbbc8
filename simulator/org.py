"""The simulated GitLab organisation: groups, projects, their namespaces, and the people.

Everything here is fixed, independent of the seed, so that tests can name paths and users.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

NamespaceKind = Literal["group", "project"]
ActivityLevel = Literal["heavy", "regular", "light", "idle"]


@dataclass(frozen=True, slots=True)
class Namespace:
    """A group or a project namespace.

    GitLab keys usage events on namespace ids: a project has its own project namespace, whose
    id differs from the project id. `traversal_path` lists namespace ids from the root down,
    with a trailing slash (`9970/10001/10005/`).
    """

    id: int
    full_path: str
    name: str
    kind: NamespaceKind
    parent_id: int | None
    traversal_path: str
    project_id: int | None = None  # projects only

    @property
    def root_path(self) -> str:
        return self.full_path.split("/", 1)[0]

    def ancestor_paths(self) -> tuple[str, ...]:
        """This namespace's path and every parent's, root first."""
        parts = self.full_path.split("/")
        return tuple("/".join(parts[: i + 1]) for i in range(len(parts)))

    @property
    def global_id(self) -> str:
        if self.kind == "project":
            return f"gid://gitlab/Project/{self.project_id}"
        return f"gid://gitlab/Group/{self.id}"


@dataclass(frozen=True, slots=True)
class User:
    """A GitLab user and how they use Duo."""

    id: int
    username: str
    name: str
    activity: ActivityLevel
    ide: str  # a key of profiles.IDE_PROFILES
    languages: tuple[str, ...]  # preferred first
    utc_offset_hours: float  # where they work, which shapes their day in UTC
    projects: tuple[str, ...]  # full paths of the projects they work in, main one first
    state: str = "active"
    bot: bool = False
    created_at: datetime = datetime(2021, 3, 1, 9, 0, tzinfo=timezone.utc)

    @property
    def global_id(self) -> str:
        return f"gid://gitlab/User/{self.id}"


# (full path, display name, namespace id, project id or None). Parents precede children.
_NAMESPACES: tuple[tuple[str, str, int, int | None], ...] = (
    ("acme-corp", "ACME Corp", 9970, None),
    ("acme-corp/platform", "Platform", 10001, None),
    ("acme-corp/product", "Product", 10002, None),
    ("acme-corp/platform/infra", "Infra", 10005, None),
    ("acme-corp/platform/api-gateway", "API Gateway", 10011, 52011),
    ("acme-corp/platform/infra/terraform-modules", "Terraform Modules", 10012, 52014),
    ("acme-corp/product/web-app", "Web App", 10013, 52019),
    ("acme-corp/product/mobile-app", "Mobile App", 10014, 52023),
    ("acme-corp/product/data-pipeline", "Data Pipeline", 10015, 52030),
    ("globex", "Globex", 11200, None),
    ("globex/website", "Website", 11211, 61007),
)

_PROJECT_KEYS = {
    "gw": "acme-corp/platform/api-gateway",
    "tf": "acme-corp/platform/infra/terraform-modules",
    "web": "acme-corp/product/web-app",
    "mob": "acme-corp/product/mobile-app",
    "data": "acme-corp/product/data-pipeline",
    "site": "globex/website",
}

# One person per line, columns two or more spaces apart; languages and projects are listed
# preferred first.
_PEOPLE = """
username         name             usage    ide            languages              UTC  projects
alice.nguyen     Alice Nguyen     heavy    vscode         typescript,javascript   -8  web
bob.schmidt      Bob Schmidt      regular  intellij       java,kotlin              1  mob,gw
carla.rossi      Carla Rossi      heavy    goland         go                       1  gw
dmitri.ivanov    Dmitri Ivanov    regular  neovim         go,terraform             2  tf,gw
emma.johnson     Emma Johnson     heavy    pycharm        python,sql              -5  data
farid.haddad     Farid Haddad     light    vscode_old     python                   4  data
grace.kim        Grace Kim        regular  vscode         typescript,javascript    9  web
hiro.tanaka      Hiro Tanaka      heavy    vscode         swift,kotlin             9  mob
isabel.garcia    Isabel García    regular  vscode         ruby,javascript          1  site
jamal.wright     Jamal Wright     light    intellij       java                    -5  gw
kavya.reddy      Kavya Reddy      heavy    vscode         python,typescript      5.5  data,web
lars.eriksen     Lars Eriksen     regular  neovim         terraform,shell          1  tf
maria.silva      Maria Silva      light    vscode_old     javascript              -3  web
noah.cohen       Noah Cohen       regular  goland         go                       2  gw
olivia.brown     Olivia Brown     idle     vscode         python                   0  data
pedro.alvarez    Pedro Álvarez    regular  intellij       kotlin,java             -6  mob
quinn.murphy     Quinn Murphy     light    vscode         typescript               0  web
rania.aziz       Rania Aziz       heavy    vscode         python,sql               3  data
sven.larsen      Sven Larsen      idle     eclipse        java                     1  gw
tomoko.sato      Tomoko Sato      regular  vscode         typescript,swift         9  mob,web
umar.farouk      Umar Farouk      light    visual_studio  csharp                   1  site
valentina.costa  Valentina Costa  regular  vscode         ruby,javascript          1  site
wei.zhang        Wei Zhang        heavy    vscode         go,python                8  gw,data
xavier.dupont    Xavier Dupont    light    intellij       java                     1  gw
yasmin.khalil    Yasmin Khalil    regular  pycharm        python                   2  data
zoe.martin       Zoe Martin       regular  vscode         typescript,javascript   -8  web
aaron.lee        Aaron Lee        light    neovim         rust,go                 -7  tf
beatriz.santos   Beatriz Santos   regular  vscode         kotlin                  -3  mob
chen.li          Chen Li          heavy    vscode         python,go                8  data,gw
diana.popescu    Diana Popescu    light    vscode         terraform                2  tf
ethan.clark      Ethan Clark      light    vscode         javascript              -5  web
fatima.zahra     Fatima Zahra     regular  intellij       java,kotlin              0  mob
gustavo.lima     Gustavo Lima     light    vscode         ruby                    -3  site
hannah.weber     Hannah Weber     regular  pycharm        python                   1  data
ivan.petrov      Ivan Petrov      light    vscode_old     go                       3  gw
julia.novak      Julia Novak      regular  vscode         typescript,python        1  web,data
kenji.watanabe   Kenji Watanabe   light    vscode         swift                    9  mob
leila.ahmadi     Leila Ahmadi     regular  vscode         ruby,typescript        3.5  site,web
mateo.fernandez  Mateo Fernández  heavy    intellij       kotlin,java             -3  mob,gw
"""

# Former colleagues keep their history; GitLab reports their current state.
_STATES = {"ethan.clark": "blocked", "ivan.petrov": "deactivated"}

# A group service account that runs ambient agent flows and MCP tool calls.
_BOT_USERNAME = "service_account_group_9970_5a1f3c"
_BOT_NAME = "Duo Automation"
_BOT_PROJECTS = ("gw", "tf", "web")

_ACTIVITY_LEVELS: dict[str, ActivityLevel] = {
    "heavy": "heavy",
    "regular": "regular",
    "light": "light",
    "idle": "idle",
}

_FIRST_USER_ID = 1207


def _user_id(index: int) -> int:
    # GitLab ids have gaps (other users, deleted accounts); keep them irregular but fixed.
    return _FIRST_USER_ID + index * 13 + (index * 7) % 5


def _build_namespaces() -> tuple[Namespace, ...]:
    by_path: dict[str, Namespace] = {}
    for full_path, name, namespace_id, project_id in _NAMESPACES:
        parent_path, _, _ = full_path.rpartition("/")
        parent = by_path.get(parent_path)
        prefix = parent.traversal_path if parent else ""
        by_path[full_path] = Namespace(
            id=namespace_id,
            full_path=full_path,
            name=name,
            kind="group" if project_id is None else "project",
            parent_id=parent.id if parent else None,
            traversal_path=f"{prefix}{namespace_id}/",
            project_id=project_id,
        )
    return tuple(by_path.values())


def _person(index: int, line: str) -> User:
    username, name, activity, ide, languages, offset, projects = re.split(r"\s{2,}", line.strip())
    return User(
        id=_user_id(index),
        username=username,
        name=name,
        activity=_ACTIVITY_LEVELS[activity],
        ide=ide,
        languages=tuple(languages.split(",")),
        utc_offset_hours=float(offset),
        projects=tuple(_PROJECT_KEYS[key] for key in projects.split(",")),
        state=_STATES.get(username, "active"),
        created_at=datetime(
            2020 + index % 5, 1 + index % 12, 1 + index % 27, 9, tzinfo=timezone.utc
        ),
    )


def _build_users() -> tuple[User, ...]:
    lines = [line for line in _PEOPLE.strip().splitlines()[1:] if line.strip()]
    users = [_person(index, line) for index, line in enumerate(lines)]
    users.append(
        User(
            id=_user_id(len(users)),
            username=_BOT_USERNAME,
            name=_BOT_NAME,
            activity="regular",
            ide="vscode",
            languages=("python",),
            utc_offset_hours=0,
            projects=tuple(_PROJECT_KEYS[key] for key in _BOT_PROJECTS),
            bot=True,
            created_at=datetime(2025, 2, 3, 14, tzinfo=timezone.utc),
        )
    )
    return tuple(users)


class Organisation:
    """Namespaces and users with the look-ups the API and the dataset need."""

    def __init__(self, namespaces: Iterable[Namespace], users: Iterable[User]) -> None:
        self.namespaces: tuple[Namespace, ...] = tuple(namespaces)
        self.users: tuple[User, ...] = tuple(users)
        self.namespace_by_path: Mapping[str, Namespace] = {n.full_path: n for n in self.namespaces}
        self.namespace_by_id: Mapping[int, Namespace] = {n.id: n for n in self.namespaces}
        self.user_by_id: Mapping[int, User] = {u.id: u for u in self.users}
        self.user_by_username: Mapping[str, User] = {u.username: u for u in self.users}

    def group(self, full_path: str) -> Namespace | None:
        namespace = self.namespace_by_path.get(full_path)
        return namespace if namespace and namespace.kind == "group" else None

    def project(self, full_path: str) -> Namespace | None:
        namespace = self.namespace_by_path.get(full_path)
        return namespace if namespace and namespace.kind == "project" else None

    def subtree_ids(self, namespace: Namespace) -> frozenset[int]:
        """The namespace and every namespace below it (GitLab's `for_namespace_hierarchy`)."""
        prefix = namespace.traversal_path
        return frozenset(n.id for n in self.namespaces if n.traversal_path.startswith(prefix))

    def parent(self, namespace: Namespace) -> Namespace | None:
        return self.namespace_by_id.get(namespace.parent_id) if namespace.parent_id else None


def build_organisation() -> Organisation:
    """ACME Corp (three subgroups, five projects) and Globex (one project), with 40 users."""
    return Organisation(_build_namespaces(), _build_users())

"""The offline reader: a prompt's words become a compositional `SceneSpec`, and what it cannot
represent is named in `spec.ignored`.

It reads the prompt against the studio's vocabulary (`lexicon`): body nouns with their counts,
sizes, colours and materials ("four small glass marbles", "a row of eight dominoes"), fixtures
with the prepositions that place a body on them ("rolls down a ramp", "slides off a desk",
"dropped into a bowl of water"), the verbs that start the motion (a push is a push on the
ground), the body a verb drives into ("knocks down ten pins"), links (pendulums, springs,
seesaws), the place, and numbers with units. It never guesses: a word outside the vocabulary
goes into `ignored`, and a prompt whose moving subject is nothing rigid (a person juggling,
water pouring, a sponge squeezed) has no scene at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.schema import BodySpec, FixtureSpec, LinkSpec, SceneSpec
from tools.studio import lexicon as lx
from tools.studio.environments import ENVIRONMENTS
from tools.studio.materials import BALL_MATERIALS, COLORS, MATERIALS

TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?|[.,;:!?()]")
CLAUSE_END = {".", ";", "!", "?", ":", "(", ")"}
ARTICLES = {"a", "an", "the", "this", "that", "one", "single", "some"}
GROUP_NOUNS = {"row", "line", "chain", "series", "stack", "tower", "pile", "pyramid", "wall",
               "pair", "couple", "set", "group", "bunch", "handful", "bag", "number", "few",
               "rack", "column"}
ORDINALS = {"another": "second", "second": "second", "other": "second", "third": "third"}
MATERIAL_WORDS: dict[str, str] = {
    **{a: m.name for m in MATERIALS.values() if m.name in BALL_MATERIALS for a in m.aliases
       if " " not in a},
    "wooden": "wood", "metal": "steel", "metallic": "steel", "iron": "steel", "marble": "stone",
    "concrete": "stone", "granite": "stone", "styrofoam": "foam", "bouncy": "rubber",
    "inflatable": "vinyl",
}
COLOUR_WORDS = set(COLORS) | {"colorful", "colourful", "multicolored", "multicoloured"}
AGENT_WORDS = set(lx.AGENTS) | {"grabber", "tool", "machine", "launcher", "catapult",
                                "cannon", "bat", "club", "racket", "racquet", "cue",
                                "paddle", "player", "golfer", "bowler", "pitcher", "kicker"}
PLACE_WORDS = {"floor", "ground"}
# Events rigid bodies cannot show: deforming, breaking, flowing, heating, marking a surface.
# A prompt about one of these has no studio scene.
DEFORMING = re.compile(
    r"(?<![a-z])(squeez|compress|crush|melt|stretch|shatter|deflat|dissolv|crumpl|inflating|"
    r"splash|spill|explod|transform|temperature|heat|boil|freez|evapor|condens|steam|engrav|"
    r"dispers|leak|ooz|ignit)\w*|(?<![a-z])(tear|tears|tore|torn|break|breaks|broke|broken|"
    r"crack|cracks|cracked|pour|pours|poured|pouring|burn|burns|burned|burning|bend|bends|"
    r"bent|fold|folds|folded|pop|pops|popped|write|writes|writing|written|draw|draws|drawing|"
    r"rub|rubs|rubbed|rubbing|scratch\w*|smear\w*|carve\w*|cut|cuts|cutting|slice\w*|"
    r"chop\w*|mix|mixes|mixed|mixing|stir\w*|spread\w*|drip\w*|glow\w*)(?![a-z])")
PASSIVE = {"is", "are", "was", "were", "being", "been", "be", "gets", "get", "got"}
GENERIC = {"block", "ball", "cube", "box", "sphere", "piece"}
PREPOSITIONS = {"on", "onto", "off", "from", "down", "into", "in", "inside", "across", "along",
                "atop", "over", "at", "to", "towards", "toward", "against", "up"}
PLURAL_VERBS = {"roll", "fall", "bounce", "are", "slide", "drop", "collide", "move", "swing",
                "hit", "knock", "tumble", "float", "sink"}
DEFINITE = {"the", "this", "that", "it", "these", "those"}
NOUN_ADJUNCTS = {"dog", "toy", "play", "kid's", "kids", "child's", "bouncing", "elastic",
                 "round", "shiny", "smooth", "solid", "hard", "new", "old", "plain", "simple",
                 "regular", "standard", "ordinary", "little", "single", "smiley"}
UNITS = r"(m|meters?|metres?|cm|centimet(?:er|re)s?|mm|ft|feet|foot)"
NOT_RIGID_NOUNS = {w for w in lx.NOT_RIGID if " " not in w} | {
    "liquid", "water", "tea", "juice", "milk", "beer", "wine", "oil", "acid", "vinegar",
    "moisture", "air", "smoke", "fog", "mist", "droplet", "droplets", "foam", "sauce"}


@dataclass
class Mention:
    """A noun the vocabulary knows, with the token span it covers and its modifiers."""

    key: str
    what: str  # "thing" or "fixture"
    start: int
    end: int
    plural: bool = False
    mods: dict[str, Any] = field(default_factory=dict)
    group: int = -1  # index of the body group it names, once grouped


@dataclass
class Group:
    """A body group being read: its mentions, modifiers, actions and relations."""

    key: str
    name: str
    first: int
    count: int = 1
    mods: dict[str, Any] = field(default_factory=dict)
    actions: list[tuple[int, str]] = field(default_factory=list)  # (strength, action)
    hits: bool = False
    target: str | None = None
    on: str | None = None
    head_on: bool = False


class Reading:
    """The tokens of one prompt and what has been understood of them so far."""

    def __init__(self, prompt: str) -> None:
        text = prompt.lower().replace("’", "'").replace("-", " ").replace("&", " and ")
        text = re.sub(r"(?<!newton)'s\b", "", text)  # "the ball's bounce": the ball
        text = text.replace("eachother", "each other")
        self.prompt = prompt
        self.tokens = TOKEN.findall(text)
        self.used: set[int] = set()
        self.mentions: list[Mention] = []
        self.groups: list[Group] = []
        self.fixtures: dict[str, FixtureSpec] = {}
        self.links: list[LinkSpec] = []
        self.environment = "earth"
        self.numbers: list[tuple[int, str, float]] = []  # (token, quantity, value)
        self.no_hit: set[int] = set()  # words like "into" that drive nothing here
        self.view = "side"

    def word(self, i: int) -> str:
        return self.tokens[i] if 0 <= i < len(self.tokens) else ""

    def use(self, *indices: int) -> None:
        self.used.update(i for i in indices if 0 <= i < len(self.tokens))

    def find(self, phrase: str, start: int = 0) -> list[int]:
        """Token indices where the words of `phrase` start (whole words, in order)."""
        words = phrase.lower().replace("-", " ").split()
        n = len(words)
        return [i for i in range(start, len(self.tokens) - n + 1)
                if self.tokens[i:i + n] == words]

    def has(self, phrase: str) -> bool:
        return bool(self.find(phrase))

    def clause_of(self, i: int) -> tuple[int, int]:
        """The sentence around token i (stops at full stops and semicolons)."""
        a = i
        while a > 0 and self.tokens[a - 1] not in CLAUSE_END:
            a -= 1
        b = i
        while b < len(self.tokens) and self.tokens[b] not in CLAUSE_END:
            b += 1
        return a, b


def read_scene(prompt: str, duration_s: float = 4.0) -> SceneSpec | None:
    """The prompt's scene, or None when nothing in it is a rigid body the studio can move."""
    return read(prompt, duration_s)[0]


def read(prompt: str, duration_s: float = 4.0) -> tuple[SceneSpec | None, list[str]]:
    """(scene or None, the prompt's words the scene leaves out)."""
    r = Reading(prompt)
    _environment(r)
    _numbers(r)
    _mentions(r)
    _special_setups(r)
    deforming = {m.group(0) for m in DEFORMING.finditer(" ".join(r.tokens))}
    if deforming - ({"break", "breaks"} if r.view == "top" else set()):
        return None, ignored_words(r, everything=True)
    _groups(r)
    _fixtures(r)
    _verbs(r)
    _stacked(r)
    _hits(r)
    _connect(r)
    if not r.groups or not any(_moves(r, g) for g in r.groups):
        # Nothing the studio can move is set moving: a still stand-in for the prompt's real
        # subject would be a substitute, not a simulation.
        return None, ignored_words(r, everything=True)
    spec = _spec(r, duration_s)
    if all(b.action == "rest" for b in spec.bodies) and not spec.links:
        return None, ignored_words(r, everything=True)
    return spec, spec.ignored


def _moves(r: Reading, g: Group) -> bool:
    """Whether the group is set moving (by a verb, a hit, a link or water to float in)."""
    acting = [a for s, a in g.actions if a not in ("rest",)]
    collide = sum(h.count for h in r.groups) >= 2 and any(
        w.startswith(("collid", "collision")) for w in r.tokens)
    return bool(acting or g.hits or g.head_on or g.on in ("tank", "bowl") or collide
                or g.mods.get("link") or any(x.body == g.name for x in r.links)
                or (r.view == "top" and g is r.groups[0]))


# ---- reading steps --------------------------------------------------------------------------


def _environment(r: Reading) -> None:
    for env in ENVIRONMENTS.values():
        for alias in sorted(env.aliases, key=len, reverse=True):
            for i in r.find(alias):
                r.environment = env.name
                r.use(*range(i, i + len(alias.split())))
    for phrase in ("in space", "outer space", "in orbit", "zero gravity", "microgravity"):
        for i in r.find(phrase):
            r.environment = "space_station"
            r.use(*range(i, i + len(phrase.split())))


def _numbers(r: Reading) -> None:
    """Quantities with units: distances (m, cm, ft), speeds (m/s), angles (degrees)."""
    t = r.tokens
    for i, tok in enumerate(t):
        if not re.fullmatch(r"\d+(?:\.\d+)?", tok):
            continue
        value, nxt = float(tok), r.word(i + 1)
        if (nxt in ("m", "meter", "meters", "metre", "metres") and r.word(i + 2) in ("per", "s")) \
                or (re.fullmatch(r"m(?:ps)?", nxt) and r.word(i + 2) == "s"):
            r.numbers.append((i, "speed", value))
            r.use(i, i + 1, i + 2, i + 3 if r.word(i + 3) == "second" else -1)
        elif nxt in ("degree", "degrees", "deg", "°"):
            r.numbers.append((i, "angle", value))
            r.use(i, i + 1)
        elif re.fullmatch(UNITS, nxt):
            scale = {"c": 0.01, "mm": 0.001, "f": 0.3048}
            factor = next((v for k, v in scale.items() if nxt.startswith(k)), 1.0)
            r.numbers.append((i, "distance", value * factor))
            r.use(i, i + 1)


def _plural_forms(word: str) -> set[str]:
    forms = {word + "s", word + "es"}
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    if word == "die":
        forms.add("dice")
    return forms


def _lexicon_index() -> list[tuple[tuple[str, ...], str, str, bool]]:
    """(words, key, thing|fixture, plural) for every form, longest first."""
    entries = []
    for table, what in ((lx.THINGS, "thing"), (lx.FIXTURES, "fixture")):
        for key in table:
            words = tuple(key.replace("-", " ").split())
            entries.append((words, key, what, False))
            # Fixtures are named in the singular ("slides" is a verb far more often).
            plural = what == "thing" or key in ("ramp", "table", "shelf", "tank", "bowl")
            for form in _plural_forms(words[-1]) if plural else ():
                entries.append(((*words[:-1], form), key, what, True))
    return sorted(entries, key=lambda e: -len(e[0]))


INDEX = _lexicon_index()


def _mentions(r: Reading) -> None:
    """Every body and fixture noun, longest phrase first; a thing noun right before another
    ("stone ball", "marble floor") modifies it instead of naming a body."""
    i = 0
    found: list[Mention] = []
    while i < len(r.tokens):
        match = next(((w, k, what, pl) for w, k, what, pl in INDEX
                      if tuple(r.tokens[i:i + len(w)]) == w), None)
        if match is None:
            i += 1
            continue
        words, key, what, plural = match
        # "slide" and "bench" name fixtures only as nouns: after a determiner.
        if key in ("slide", "bench", "set") and r.word(i - 1) not in ARTICLES | {"playground"}:
            i += 1
            continue
        found.append(Mention(key, what, i, i + len(words), plural))
        i += len(words)
    skip: set[int] = set()
    for k, m in enumerate(found):
        nxt = found[k + 1] if k + 1 < len(found) else None
        if k in skip:
            continue
        follows = r.word(m.end)
        if m.what == "thing" and m.key in COLORS and (
                follows in MATERIAL_WORDS or follows in COLOUR_WORDS or follows in lx.SIZES
                or (nxt is not None and nxt.start == m.end)):
            continue  # "an orange inflatable ball", "an orange block": the colour
        if nxt is not None and nxt.start == m.end and m.what == "thing":
            if m.key in MATERIAL_WORDS:
                continue  # "stone ball", "marble floor": a material, read with the modifiers
            if nxt.what == "thing" and nxt.key in GENERIC:
                m.end = nxt.end  # "a domino block" is a domino
                skip.add(k + 1)
        r.mentions.append(m)


def _special_setups(r: Reading) -> None:
    """Setups one word names: a Newton's cradle, a seesaw, a billiard break."""
    for phrase in ("newton's cradle", "newtons cradle", "newton cradle"):
        for i in r.find(phrase):
            r.use(i, i + 1, i + 2 if len(phrase.split()) > 2 else -1)
            m = Mention("ball", "thing", i, i + 2, True, {"count": 5, "material": "steel",
                                                          "arrangement": "cradle",
                                                          "link": "string", "name": "ball"})
            r.mentions.insert(0, m)
    for phrase in ("seesaw", "see saw", "teeter totter", "lever", "balance beam"):
        for i in r.find(phrase):
            r.use(*range(i, i + len(phrase.split())))
            r.mentions.insert(0, Mention("plank", "thing", i, i, False,
                                         {"link": "pivot", "name": "seesaw"}))
    if any(r.has(p) for p in ("billiard", "pool table", "snooker", "cue ball", "break shot")):
        r.view = "top"
        for w in ("billiard", "pool", "snooker", "table", "break", "shot", "rack", "felt"):
            r.use(*r.find(w))


def _modifiers(r: Reading, m: Mention) -> dict[str, Any]:
    """Words before a noun that describe it: count, size, colour, material, arrangement."""
    mods: dict[str, Any] = dict(m.mods)
    i = m.start - 1
    while i >= 0 and m.start - i <= 8:
        w = r.word(i)
        if w in CLAUSE_END:
            break
        if w == ",":  # "a small, elastic ball": adjectives listed with commas
            i -= 1
            continue
        if not _modifier(r, i, w, mods):
            break
        i -= 1
    return mods


def _modifier(r: Reading, i: int, w: str, mods: dict[str, Any]) -> bool:
    """Reads one modifier word into `mods`; False when the word is not one."""
    count_words = {k: v for k, v in lx.COUNTS.items() if " " not in k}
    if w in count_words or (re.fullmatch(r"\d+", w) and not any(n[0] == i for n in r.numbers)):
        mods.setdefault("count", count_words.get(w) or int(w))
    elif w in ("pair", "couple") and r.word(i + 1) == "of":
        mods.setdefault("count", 2)
    elif w in lx.ARRANGEMENTS and r.word(i + 1) == "of":
        mods.setdefault("arrangement", lx.ARRANGEMENTS[w])
    elif w in lx.SIZES:
        mods.setdefault("size", lx.SIZES[w])
    elif w in MATERIAL_WORDS:
        mods.setdefault("material", MATERIAL_WORDS[w])
    elif w in lx.HEAVY or w in lx.LIGHT:
        mods.setdefault("weight", "heavy" if w in lx.HEAVY else "light")
    elif w in COLOUR_WORDS:
        if w in COLORS:
            mods.setdefault("colours", []).insert(0, w)
    elif w in ORDINALS:
        mods.setdefault("ordinal", ORDINALS[w])
    elif w in NOUN_ADJUNCTS:
        pass  # "a dog ball", "a toy car": what it is for, not what it is
    elif w not in ARTICLES and w not in ("of", "and") and w not in GROUP_NOUNS:
        return False
    r.use(i)
    return True


def _groups(r: Reading) -> None:
    """Body mentions become groups; a later "the ball" is the ball already met."""
    for m in list(r.mentions):
        if m.what != "thing" or m.group >= 0:
            continue
        mods = _modifiers(r, m)
        r.use(*range(m.start, m.end))
        same = _antecedent(r, m, mods)
        if same is not None:
            same.mods.update({k: v for k, v in mods.items() if k not in same.mods})
            m.group = r.groups.index(same)
            continue
        colours = mods.get("colours") or []
        if len(colours) == 2 and not m.plural and r.word(m.end) in PLURAL_VERBS:
            # "a blue and yellow tennis ball roll": two balls, one of each colour.
            for colour in colours:
                one = {**mods, "colours": [colour]}
                extra = Mention(m.key, "thing", m.start, m.end, group=len(r.groups))
                r.mentions.append(extra)
                r.groups.append(Group(m.key, _group_name(r, m.key, one), m.start, 1, one))
            m.group = extra.group
            continue
        count = int(mods.get("count") or (lx.USUAL_COUNT.get(m.key, 3) if m.plural else 1))
        name = str(mods.get("name") or _group_name(r, m.key, mods))
        m.group = len(r.groups)
        r.groups.append(Group(m.key, name, m.start, min(max(count, 1), 20), mods))


def _antecedent(r: Reading, m: Mention, mods: dict[str, Any]) -> Group | None:
    """The group a mention refers back to: same noun, no new count, material or ordinal."""
    if "ordinal" in mods or ("count" in mods and not any(g.key == m.key and g.count ==
                                                        mods["count"] for g in r.groups)):
        return None
    definite = r.word(m.start - 1) in DEFINITE and "count" not in mods
    for g in r.groups:
        # "the ball" after "a tennis ball" is that tennis ball.
        head = definite and (g.key.split()[-1] == m.key.split()[-1] or g.key.endswith(m.key))
        if g.key != m.key and not head:
            continue
        if "material" in mods and g.mods.get("material") not in (None, mods["material"]):
            continue
        if mods.get("colours") and g.mods.get("colours") and g.mods["colours"] != mods[
                "colours"]:
            continue
        return g
    return None


def _group_name(r: Reading, key: str, mods: dict[str, Any]) -> str:
    """The group's name: its noun, told apart from another group of the same noun."""
    base = key
    clash = [g for g in r.groups if g.key == key]
    if not clash:
        return base
    for extra in (mods.get("ordinal"), mods.get("material"), (mods.get("colours") or [None])[0]):
        if extra and f"{extra} {base}" not in {g.name for g in r.groups}:
            return f"{extra} {base}"
    return f"{base} {len(clash) + 1}"


def _fixtures(r: Reading) -> None:
    """Fixture nouns, with the prepositions that put the nearest body on or in them."""
    for m in r.mentions:
        if m.what != "fixture":
            continue
        kind = lx.FIXTURES[m.key]
        prep = _preposition(r, m.start)
        if kind == "wall" and r.word(m.start - 1) == "brick" and prep in lx.HITS:
            _brick_wall(r, m)
            continue
        r.use(*range(m.start, m.end))
        k = m.start - 1
        # A fixture's own words the scene shows (a wooden table, a steep ramp); its colour or
        # other material (an icy floor, a marble counter) it does not, so they are left out.
        while r.word(k) in ("wooden", "wood", "long", "short", "tall", "high", "low", "wide",
                            "flat", "hard", "solid", "inclined", "sloped", "steep", "gentle",
                            "shallow", "deep", "small", "large", "big", "plain"):
            r.use(k)
            k -= 1
        fixture = r.fixtures.setdefault(kind, FixtureSpec(kind=kind))  # type: ignore[arg-type]
        r.fixtures[kind] = _fixture_details(r, m, fixture)
        if kind == "floor":
            continue
        group = _body_before(r, m.start)
        if group is None or not _puts_on(prep, kind):
            continue
        # "a red ball and a blue ball bouncing down stairs": both are on the stairs.
        for g in [group, *_coordinated(r, group, m.start)]:
            if g.on is None:
                g.on = kind
                if prep in ("off", "from") and kind in ("table", "ramp"):
                    g.actions.append((1, "edge"))


def _preposition(r: Reading, i: int) -> str:
    """The preposition governing the noun at i, skipping articles, adjectives, numbers, "the
    top of", and up to two words naming what kind of fixture it is (a fish tank, a swimming
    pool)."""
    k, unknown = i - 1, 0
    while k >= 0:
        w = r.word(k)
        if w in PREPOSITIONS:
            return w
        if w in ARTICLES or w in MATERIAL_WORDS or w in lx.SIZES or w in COLOUR_WORDS or w in (
                "steep", "gentle", "shallow", "long", "short", "tall", "high", "low", "wooden",
                "wide", "narrow", "inclined", "m", "cm", "degree", "degrees", "meter", "meters",
                "metre") or re.fullmatch(r"\d+(?:\.\d+)?", w):
            k -= 1
        elif w == "of" and r.word(k - 1) in ("top", "edge", "end", "side", "surface", "bottom",
                                              "middle"):
            k -= 2
        elif unknown < 2 and w.isalpha() and w not in lx.ACTIONS and w not in CLAUSE_END:
            unknown += 1
            k -= 1
        else:
            return w
    return ""


def _puts_on(prep: str, kind: str) -> bool:
    if kind in ("ramp", "steps"):
        return prep in ("down", "on", "onto", "along", "from", "off", "at", "top", "over")
    if kind == "table":
        return prep in ("on", "off", "from", "across", "along", "atop", "over", "top", "edge",
                        "end", "onto")
    if kind in ("tank", "bowl"):
        return prep in ("in", "into", "inside", "onto", "on", "at", "to", "surface")
    return False


def _fixture_details(r: Reading, m: Mention, f: FixtureSpec) -> FixtureSpec:
    """Angles, heights, lengths and water said about a fixture, and its adjectives."""
    update: dict[str, Any] = {}
    near = [(i, q, v) for i, q, v in r.numbers if m.start - 4 <= i < m.start + 6]
    for _, quantity, value in near:
        if quantity == "angle" and f.kind == "ramp" and 0 < value < 80:
            update["angle_deg"] = value
        elif quantity == "distance" and f.kind in ("table", "steps") and 0 < value <= 10:
            update["height_m"] = value
        elif quantity == "distance" and f.kind == "ramp" and 0 < value <= 20:
            update["length_m"] = value
    for w, angle in (("steep", 40.0), ("gentle", 15.0), ("shallow", 12.0), ("slight", 10.0)):
        if w in r.tokens[max(0, m.start - 3):m.start] and f.kind == "ramp":
            update.setdefault("angle_deg", angle)
            r.use(m.start - 1 - r.tokens[max(0, m.start - 3):m.start][::-1].index(w))
    water = any(r.word(j) == "water" for j in range(m.start - 3, m.end + 4))
    if f.kind in ("tank", "bowl") and (water or m.key in ("pool", "pond", "aquarium")):
        update["water_level_m"] = 0.2 if f.kind == "bowl" else 0.9
        r.use(*[j for j in range(m.start - 3, m.end + 4) if r.word(j) in (
            "water", "of", "with", "filled", "full")])
    return f.model_copy(update=update) if update else f


def _brick_wall(r: Reading, m: Mention) -> None:
    """"Into a brick wall": the wall is bricks something knocks down, not scenery."""
    r.use(m.start - 1, *range(m.start, m.end))
    r.mentions.append(Mention("brick", "thing", m.start, m.end, True, group=len(r.groups)))
    r.groups.append(Group("brick", "brick", m.start, 20, {"arrangement": "wall"}))


def _body_before(r: Reading, i: int) -> Group | None:
    """The body group last named before token i in its sentence (pronouns included)."""
    a, _ = r.clause_of(i)
    before = [g for g in r.groups if a <= _last_mention(r, g, i) < i]
    return max(before, key=lambda g: _last_mention(r, g, i)) if before else None


def _last_mention(r: Reading, g: Group, i: int) -> int:
    """Where the group was last named before token i (its first mention if not before)."""
    k = r.groups.index(g)
    spots = [m.start for m in r.mentions if m.group == k and m.start < i]
    return max(spots, default=g.first)


def _verbs(r: Reading) -> None:
    """Verbs start the motion of the body they speak of: the subject before them (all of a
    list: "a golf ball and a beach ball are dropped"), or, after an agent ("a player kicks
    the ball"), the body after them."""
    verbs = [i for i, w in enumerate(r.tokens) if w in lx.ACTIONS or (
        w == "let" and r.word(i + 1) == "go")]
    for i in verbs:
        w = r.word(i)
        action = "released" if w == "let" else lx.ACTIONS[w]
        group = _verb_subject(r, i)
        if group is None:
            continue
        r.use(i, i + 1 if r.word(i + 1) in ("down", "over", "off", "go", "away") else -1)
        # Bounces, and words of rest, give way to any verb that says how the motion starts.
        strength = 1 if w.startswith("bounc") or action == "rest" else 2
        if w in lx.HITS:
            group.hits = True
            strength = 0
        for g in [group, *_coordinated(r, group, i), *_listed_after(r, group, i, verbs)]:
            g.actions.append((strength, action))


def _listed_after(r: Reading, group: Group, i: int, verbs: list[int]) -> list[Group]:
    """After an agent's verb, the other bodies listed with its object ("the ball and block")."""
    first = _first_after(r, group, i)
    if first > 10**5:
        return []
    _, b = r.clause_of(i)
    end = min([v for v in verbs if v > first] + [b])
    listed = []
    for g in r.groups:
        at = _first_after(r, g, i)
        if g is group or not first < at < end:
            continue
        k = at - 1
        while k > first and (r.word(k) in ARTICLES or r.word(k) in COLOUR_WORDS
                             or r.word(k) in MATERIAL_WORDS or r.word(k) in lx.SIZES):
            k -= 1
        if r.word(k) in ("and", ","):  # joined to the object, not somewhere after it
            listed.append(g)
    return listed


def _coordinated(r: Reading, group: Group, i: int) -> list[Group]:
    """Groups named just before `group` and joined to it by "and" or a comma."""
    found: list[Group] = []
    k = _last_mention(r, group, i) - 1
    while k >= 0:
        while k >= 0 and (r.word(k) in ARTICLES or r.word(k) in COLOUR_WORDS or
                          r.word(k) in MATERIAL_WORDS or r.word(k) in lx.SIZES):
            k -= 1
        if r.word(k) not in ("and", ","):
            break
        k -= 1
        before = [m for m in r.mentions if m.what == "thing" and m.end - 1 == k and m.group >= 0]
        if not before:
            break
        found.append(r.groups[before[0].group])
        k = before[0].start - 1
    return found


def _verb_subject(r: Reading, i: int) -> Group | None:
    """The body a verb speaks of: the last body named before it, unless something the studio
    cannot move (water, a person's hand) is named in between and is the verb's own subject;
    after an agent ("a player kicks the ball"), the body named after it."""
    a, b = r.clause_of(i)
    agent = max((k for k in range(a, i) if r.word(k) in AGENT_WORDS), default=-1)
    soft = max((k for k in range(a, i) if r.word(k) in NOT_RIGID_NOUNS), default=-1)
    before = _body_before(r, i)
    if before is not None and _last_mention(r, before, i) > max(agent, soft):
        return before
    if soft > agent or r.word(i - 1) in PASSIVE or r.word(i - 2) in PASSIVE:
        return None  # the verb's subject is not a body the studio knows
    # Active, its subject a person, a tool or something unknown: it acts on the body after it.
    after = [g for g in r.groups if i < _first_after(r, g, i) < b]
    return min(after, key=lambda g: _first_after(r, g, i)) if after else None


def _first_after(r: Reading, g: Group, i: int) -> int:
    k = r.groups.index(g)
    spots = [m.start for m in r.mentions if m.group == k and m.start > i]
    return min(spots, default=10**6)


def _hits(r: Reading) -> None:
    """A body driven into another ("knocks down ten pins", "rolls into a second ball")."""
    for i, w in enumerate(r.tokens):
        if w not in lx.HITS or i in r.no_hit:  # "stacked into a tower" hits nothing
            continue
        mover = _body_before(r, i)
        _, b = r.clause_of(i)
        targets = [g for g in r.groups if g is not mover and i < _first_after(r, g, i) < b]
        after = r.word(i + 2) if r.word(i + 1) in ("down", "over", "into") else r.word(i + 1)
        if mover is not None and after in ("it", "them") and not targets:
            # "a ball knocks it down": it is the body named before the ball.
            earlier = [g for g in r.groups if g is not mover and g.first < mover.first]
            targets = earlier[-1:]
        if mover is None or not targets:
            continue
        target = min(targets, key=lambda g: _first_after(r, g, i))
        if mover.target is None:
            mover.target = target.name
            mover.hits = True
            r.use(i)
    for phrase in ("each other", "one another", "head on"):
        for i in r.find(phrase):
            movers = [g for g in r.groups if g.actions or g.hits]
            if len(movers) >= 2:
                movers[1].head_on = True
            r.use(i, i + 1)


def _connect(r: Reading) -> None:
    """Links and arrangements the words imply: a pendulum hangs on a string, a wrecking ball
    swings, something on a spring bobs; dominoes stand in a line."""
    _merge_bob(r)
    for g in r.groups:
        swings = any(r.word(k).startswith("swing") for k in range(len(r.tokens)))
        if g.mods.get("link") == "string" or g.key in ("pendulum", "pendulum bob", "bob",
                                                       "wrecking ball") or (
                swings and g is r.groups[0] and lx.THINGS[g.key].kind == "ball"):
            r.links.append(LinkSpec(kind="string", body=g.name, length_m=_length(r)))
        elif g.mods.get("link") == "pivot":
            r.links.append(LinkSpec(kind="pivot", body=g.name))
        if any(x.kind == "string" and x.body == g.name for x in r.links):
            for w in ("string", "rope", "cord", "thread", "wire", "chain"):
                r.use(*r.find(w))
        for phrase in ("on a spring", "from a spring", "to a spring", "spring"):
            if r.has(phrase) and g is r.groups[0] and not any(x.body == g.name
                                                              for x in r.links):
                r.links.append(LinkSpec(kind="spring", body=g.name))
                r.use(*r.find("spring"), *r.find("springs"))
                break


# Phrases the scene represents without a body of their own: (phrase, bounciness or None).
PHRASES: tuple[tuple[str, float | None], ...] = (
    ("stick together", 0.02), ("perfectly inelastic", 0.02), ("inelastic", 0.2),
    ("perfectly elastic", 1.0), ("elastic", None), ("together", None), ("simultaneously", None),
    ("at the same time", None), ("side by side", None), ("next to each other", None),
    ("back and forth", None), ("to and fro", None), ("one after another", None),
    ("one after the other", None), ("in a row", None), ("in a line", None),
    ("from rest", None), ("from a height", None), ("from above", None), ("high", None),
    ("great height", None), ("hard floor", None), ("same height", None), ("same time", None),
)


def _phrases(r: Reading) -> float | None:
    """Consumes phrases the stage already shows; returns a bounciness they ask for, if any."""
    bounce: float | None = None
    for phrase, e in PHRASES:
        for i in r.find(phrase):
            n = len(phrase.split())
            if any(j in r.used for j in range(i, i + n)):
                continue
            r.use(*range(i, i + n))
            if e is not None and bounce is None:
                bounce = e
    return bounce


def _stacked(r: Reading) -> None:
    """"Four bricks are stacked into a tower": the group is a stack (and hits nothing)."""
    for word in ("stacked", "piled"):
        for i in r.find(word):
            group = _body_before(r, i)
            if group is not None and group.count > 1:
                group.mods.setdefault("arrangement", "stack")
                r.use(i, i + 1 if r.word(i + 1) in ("up", "into") else -1)
                r.no_hit.add(i + 1)


def _merge_bob(r: Reading) -> None:
    """"A pendulum with a red bob" is one pendulum whose bob is red."""
    pendulum = next((g for g in r.groups if g.key == "pendulum"), None)
    bob = next((g for g in r.groups if g.key in ("bob", "pendulum bob")), None)
    if pendulum is None or bob is None:
        return
    pendulum.mods.update({k: v for k, v in bob.mods.items() if k not in pendulum.mods})
    k = r.groups.index(bob)
    for m in r.mentions:
        m.group = r.groups.index(pendulum) if m.group == k else m.group - (m.group > k)
    r.groups.remove(bob)


def _length(r: Reading) -> float | None:
    for _, quantity, value in r.numbers:
        if quantity == "distance" and (r.has("long") or r.has("string") or r.has("rope")):
            return value if 0.1 <= value <= 10 else None
    return None


# ---- the spec -------------------------------------------------------------------------------


def _distinct_names(r: Reading) -> None:
    """Groups of the same noun are named by what tells them apart ("rubber ball", "steel
    ball"), the first one included."""
    for g in r.groups:
        if g.name != g.key or sum(h.key == g.key for h in r.groups) < 2:
            continue
        for extra in (g.mods.get("material"), (g.mods.get("colours") or [None])[0]):
            if extra and f"{extra} {g.key}" not in {h.name for h in r.groups}:
                old, g.name = g.name, f"{extra} {g.key}"
                for h in r.groups:
                    h.target = g.name if h.target == old else h.target
                break


def _spec(r: Reading, duration_s: float) -> SceneSpec:
    _distinct_names(r)
    bounce = _phrases(r)
    bodies = [_body(r, g) for g in r.groups]
    if bounce is not None:
        bodies = [b.model_copy(update={"bounciness": bounce}) for b in bodies]
    bodies = _towards_each_other(r, bodies)
    if r.view == "top" and bodies[0].action == "rest":
        bodies[0] = bodies[0].model_copy(update={"action": "pushed"})  # the cue ball is struck
    lead = next((k for k, b in enumerate(bodies) if b.action != "rest"), 0)
    bodies[lead] = bodies[lead].model_copy(update=_quantities(r, bodies[lead].action))
    bodies = _split_pairs(r, bodies)
    fixtures = [f for f in r.fixtures.values() if f.kind != "floor"]
    for b in bodies:
        if b.on is not None and not any(f.kind == b.on for f in fixtures):
            fixtures.append(FixtureSpec(kind=b.on))
    spec = SceneSpec(environment=r.environment, bodies=bodies[:8], fixtures=fixtures[:6],
                     links=[x for x in r.links if x.body in {b.name for b in bodies[:8]}],
                     view=r.view, duration_s=duration_s, ignored=[])  # type: ignore[arg-type]
    return spec.model_copy(update={"ignored": ignored_words(r)})


def _body(r: Reading, g: Group) -> BodySpec:
    thing = lx.THINGS[g.key]
    mods = g.mods
    material = mods.get("material") or thing.material
    if mods.get("weight") == "heavy" and "material" not in mods:
        material = "steel" if thing.material not in ("steel", "stone", "brass") else material
    elif mods.get("weight") == "light" and "material" not in mods:
        material = "foam" if thing.kind != "ball" else "plastic"
    colours = mods.get("colours") or []
    size = thing.size_m * float(mods.get("size", 1.0))
    action = _action(r, g, thing.kind)
    linked = any(x.body == g.name for x in r.links)
    if linked and action == "rest" and any(x.kind == "string" for x in r.links
                                           if x.body == g.name):
        action = "released"
    arrangement = mods.get("arrangement")
    if arrangement is None and thing.kind in ("domino", "pin") and g.count > 1:
        arrangement = "line"
    if thing.kind == "domino" and g.count > 1 and action != "rest":
        action = "pushed"
    if action == "rest" and g.on in ("tank", "bowl"):
        action = "released"
    off_edge = any(a == "edge" for _, a in g.actions) or (
        g.on == "table" and action in ("rolled", "pushed") and any(
            w in r.tokens for w in ("edge", "falls", "fall", "falling", "drops", "tumbles")))
    return BodySpec(
        off_edge=off_edge and g.on is not None,
        name=g.name, kind=thing.kind, count=g.count, material=material,  # type: ignore[arg-type]
        colour=colours[0] if colours else None,
        size_m=round(size, 4) if "size" in mods else None,
        on=g.on if action != "dropped" or g.on in ("tank", "bowl") else None,
        action=action, arrangement=arrangement, target=g.target)  # type: ignore[arg-type]


def _action(r: Reading, g: Group, kind: str) -> str:
    """The group's motion: its strongest verb; a body driven into another without a motion
    verb rolls (a ball) or is pushed; one leaving a table's edge rolls or slides off it."""
    moves = [a for s, a in sorted(g.actions, key=lambda x: -x[0]) if a != "edge"]
    if any(a != "rest" for a in moves):
        moves = [a for a in moves if a != "rest"]
    round_ = kind in ("ball", "disc")
    if any(a == "edge" for _, a in g.actions):
        return "rolled" if round_ else "pushed"
    if (moves and moves[0] != "pushed") or (moves and not g.hits):
        action = moves[0]
        if action == "dropped" and g.on in ("ramp", "steps"):
            return "rolled" if round_ else "pushed"
        if action == "pushed" and round_ and r.view != "top":
            return "rolled" if g.on != "table" else action
        return action
    if g.hits or g.head_on:
        return "rolled" if round_ else "pushed"
    return "rest"


def _quantities(r: Reading, action: str) -> dict[str, Any]:
    """The lead's height, speed and angle from the prompt's numbers (a ramp's angle is the
    ramp's, a table's height the table's) and its words for fast and slow."""
    out: dict[str, Any] = {}
    for _, quantity, value in r.numbers:
        if quantity == "speed" and 0 < value <= 40:
            out.setdefault("speed_m_s", value)
        elif quantity == "angle" and "ramp" not in r.fixtures and -90 <= value <= 90:
            out.setdefault("angle_deg", value)
        elif quantity == "distance" and action in ("dropped", "thrown", "launched") and (
                0 < value <= 30) and "table" not in r.fixtures:
            out.setdefault("height_m", value)
    fast_words = ("fast", "quickly", "forcefully", "hard", "rapidly", "powerful", "strongly",
                  "forceful", "powerfully")
    fast = any(w in r.tokens for w in fast_words)
    slow = any(w in r.tokens for w in ("slowly", "gently", "softly", "lightly"))
    r.use(*[i for i, w in enumerate(r.tokens) if w in fast_words])
    if "speed_m_s" not in out and action in ("thrown", "pushed", "rolled", "launched") and (
            fast or slow):
        base = {"thrown": 4.0, "launched": 6.0, "rolled": 1.5, "pushed": 2.5}[action]
        out["speed_m_s"] = base * (1.6 if fast else 0.5)
    if action == "thrown" and any(w in r.tokens for w in ("down", "ground", "floor")) and (
            "angle_deg" not in out) and not r.has("up"):
        out["angle_deg"] = -40.0
        out.setdefault("speed_m_s", 3.0)
    if action == "dropped" and "height_m" not in out and (r.has("great height") or
                                                          r.has("high")):
        out["height_m"] = 2.5
    return out


def _towards_each_other(r: Reading, bodies: list[BodySpec]) -> list[BodySpec]:
    """Two moving groups "towards each other" or "head on": each targets the other."""
    movers = [k for k, b in enumerate(bodies) if b.action != "rest"]
    if len(movers) < 2 or not any(r.has(p) for p in ("each other", "one another", "head on")):
        return bodies
    a, b = movers[:2]
    out = list(bodies)
    out[a] = out[a].model_copy(update={"target": out[a].target or out[b].name})
    out[b] = out[b].model_copy(update={"target": out[b].target or out[a].name})
    return out


def _split_pairs(r: Reading, bodies: list[BodySpec]) -> list[BodySpec]:
    """Two balls that collide are two groups: one rolls into the other (both, head on)."""
    collide = any(w.startswith(("collid", "collision")) or w == "crash" for w in r.tokens)
    if collide and len(bodies) == 2 and all(b.count == 1 and b.action == "rest" for b in bodies):
        # "a blue ball and a red ball collide": one rolls into the other.
        return [bodies[0].model_copy(update={"action": "rolled", "target": bodies[1].name}),
                bodies[1]]
    if len(bodies) != 1 or bodies[0].count != 2 or not collide or bodies[0].kind != "ball":
        return bodies
    b = bodies[0]
    left = b.model_copy(update={"name": f"left {b.name}", "count": 1, "action": "rolled",
                                "target": f"right {b.name}"})
    head_on = r.has("each other") or r.has("head on") or r.has("one another")
    right = b.model_copy(update={"name": f"right {b.name}", "count": 1,
                                 "action": "rolled" if head_on else "rest",
                                 "target": f"left {b.name}" if head_on else None})
    r.use(*[i for i, w in enumerate(r.tokens) if w.startswith(("collid", "collision"))])
    return [left, right]


def ignored_words(r: Reading, everything: bool = False) -> list[str]:
    """Runs of content words the scene does not represent, in the prompt's order."""

    def left_out(i: int) -> bool:
        w = r.word(i)
        return (everything or i not in r.used) and w not in lx.FILLER and len(w) > 1 and (
            re.fullmatch(r"[a-z][a-z']*", w) is not None)

    phrases: list[str] = []
    run: list[str] = []
    for i, w in enumerate(r.tokens):
        if left_out(i) or (run and w == "of" and left_out(i + 1)):
            run.append(w)
        elif run:
            phrases.append(" ".join(run))
            run = []
    if run:
        phrases.append(" ".join(run))
    return list(dict.fromkeys(phrases))

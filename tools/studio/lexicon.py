"""The studio's vocabulary: the words a prompt may use for bodies, fixtures, actions and places.

Every entry maps words to what the scene spec can hold (a body kind with its usual material,
size and shape; a fixture; an action). Words outside these tables are never guessed at: the
reader reports them in `SceneSpec.ignored`. Things the studio's rigid bodies cannot stand in for
(liquids, cloth, people, breaking eggs) are listed too, so the reader can say so instead of
drawing a rigid substitute.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thing:
    """A body noun: its rigid shape, usual material, size in metres (as `BodySpec.size_m`
    reads it), height over width for boxes and cylinders, and a look when the material's own
    colour would be wrong."""

    kind: str
    material: str
    size_m: float
    aspect: float = 1.0
    colour: str | None = None


_BALL = "ball"
THINGS: dict[str, Thing] = {
    # balls and other round things
    "ball": Thing(_BALL, "rubber", 0.16),
    "sphere": Thing(_BALL, "rubber", 0.16),
    "orb": Thing(_BALL, "glass", 0.14),
    "bouncy ball": Thing(_BALL, "rubber", 0.06),
    "superball": Thing(_BALL, "rubber", 0.05),
    "marble": Thing(_BALL, "glass", 0.016),
    "ball bearing": Thing(_BALL, "steel", 0.02),
    "bearing": Thing(_BALL, "steel", 0.02),
    "bowling ball": Thing(_BALL, "bowling", 0.22),
    "golf ball": Thing(_BALL, "golf", 0.043),
    "tennis ball": Thing(_BALL, "tennis", 0.067),
    "basketball": Thing(_BALL, "basketball", 0.24),
    "football": Thing(_BALL, "leather", 0.22),
    "soccer ball": Thing(_BALL, "leather", 0.22),
    "volleyball": Thing(_BALL, "leather", 0.21),
    "baseball": Thing(_BALL, "leather", 0.074),
    "softball": Thing(_BALL, "leather", 0.097),
    "cricket ball": Thing(_BALL, "leather", 0.072, colour="red"),
    "beach ball": Thing(_BALL, "vinyl", 0.4),
    "ping pong ball": Thing(_BALL, "plastic", 0.04, colour="white"),
    "ping-pong ball": Thing(_BALL, "plastic", 0.04, colour="white"),
    "table tennis ball": Thing(_BALL, "plastic", 0.04, colour="white"),
    "billiard ball": Thing(_BALL, "billiard", 0.057),
    "pool ball": Thing(_BALL, "billiard", 0.057),
    "snooker ball": Thing(_BALL, "billiard", 0.052),
    "cue ball": Thing(_BALL, "billiard", 0.057, colour="white"),
    "cannonball": Thing(_BALL, "steel", 0.15, colour="black"),
    "cannon ball": Thing(_BALL, "steel", 0.15, colour="black"),
    "wrecking ball": Thing(_BALL, "steel", 0.6, colour="black"),
    "pendulum": Thing(_BALL, "steel", 0.12),
    "bob": Thing(_BALL, "steel", 0.12),
    "pendulum bob": Thing(_BALL, "steel", 0.12),
    "apple": Thing(_BALL, "fruit", 0.08, colour="red"),
    "orange": Thing(_BALL, "fruit", 0.08, colour="orange"),
    "lemon": Thing(_BALL, "fruit", 0.07, colour="yellow"),
    "peach": Thing(_BALL, "fruit", 0.075, colour="orange"),
    "coconut": Thing(_BALL, "fruit", 0.15, colour="brown"),
    "melon": Thing(_BALL, "fruit", 0.2, colour="green"),
    "watermelon": Thing(_BALL, "fruit", 0.3, colour="green"),
    "rock": Thing(_BALL, "stone", 0.15),
    "stone": Thing(_BALL, "stone", 0.1),
    "pebble": Thing(_BALL, "stone", 0.04),
    "boulder": Thing(_BALL, "stone", 0.8),
    "globe": Thing(_BALL, "plastic", 0.3),
    "bead": Thing(_BALL, "plastic", 0.012),
    "pearl": Thing(_BALL, "glass", 0.012, colour="white"),
    "ball of clay": Thing(_BALL, "clay", 0.08),
    "clay ball": Thing(_BALL, "clay", 0.08),
    # boxes
    "block": Thing("block", "wood", 0.2, 0.6),
    "box": Thing("block", "paper", 0.3, 0.7),
    "cardboard box": Thing("block", "paper", 0.3, 0.7),
    "crate": Thing("block", "wood", 0.4, 0.8),
    "cube": Thing("block", "wood", 0.15, 1.0),
    "ice cube": Thing("block", "ice", 0.04, 1.0),
    "dice": Thing("block", "plastic", 0.03, 1.0, "white"),
    "die": Thing("block", "plastic", 0.03, 1.0, "white"),
    "brick": Thing("block", "brick", 0.22, 0.35),
    "book": Thing("block", "paper", 0.24, 0.2, "blue"),
    "textbook": Thing("block", "paper", 0.26, 0.22, "green"),
    "dictionary": Thing("block", "paper", 0.25, 0.3, "red"),
    "notebook": Thing("block", "paper", 0.21, 0.08),
    "phone": Thing("block", "plastic", 0.15, 0.1, "black"),
    "smartphone": Thing("block", "plastic", 0.15, 0.1, "black"),
    "laptop": Thing("block", "aluminium", 0.33, 0.06),
    "tile": Thing("block", "ceramic", 0.2, 0.08),
    "eraser": Thing("block", "rubber", 0.05, 0.4, "pink"),
    "parcel": Thing("block", "paper", 0.3, 0.6),
    "package": Thing("block", "paper", 0.3, 0.6),
    "suitcase": Thing("block", "plastic", 0.6, 0.7),
    "kettlebell": Thing("block", "steel", 0.2, 1.1, "black"),
    "weight": Thing("block", "steel", 0.15, 0.8, "grey"),
    "toy block": Thing("block", "wood", 0.08, 1.0),
    "building block": Thing("block", "wood", 0.08, 1.0),
    "jenga block": Thing("block", "wood", 0.075, 0.2),
    "lego brick": Thing("block", "plastic", 0.032, 0.6, "red"),
    "sled": Thing("block", "wood", 0.8, 0.2),
    "cork": Thing("cylinder", "cork", 0.03, 1.5),
    "puck": Thing("disc", "rubber", 0.076, colour="black"),
    "hockey puck": Thing("disc", "rubber", 0.076, colour="black"),
    # cylinders (standing), discs (seen face on), pins, dominoes, planks
    "can": Thing("cylinder", "aluminium", 0.066, 1.8),
    "soda can": Thing("cylinder", "aluminium", 0.066, 1.8, "red"),
    "tin can": Thing("cylinder", "aluminium", 0.075, 1.4),
    "bottle": Thing("cylinder", "glass", 0.08, 3.2, "green"),
    "cup": Thing("cylinder", "ceramic", 0.08, 1.1),
    "mug": Thing("cylinder", "ceramic", 0.09, 1.1),
    "jar": Thing("cylinder", "glass", 0.1, 1.4),
    "barrel": Thing("cylinder", "wood", 0.6, 1.4),
    "battery": Thing("cylinder", "aluminium", 0.03, 2.0),
    "candle": Thing("cylinder", "wood", 0.05, 4.0, "white"),
    "log": Thing(_BALL, "wood", 0.3),
    "wheel": Thing("disc", "rubber", 0.5, colour="black"),
    "tire": Thing("disc", "rubber", 0.6, colour="black"),
    "tyre": Thing("disc", "rubber", 0.6, colour="black"),
    "hoop": Thing("disc", "plastic", 0.7),
    "coin": Thing("disc", "brass", 0.024),
    "frisbee": Thing("disc", "plastic", 0.25),
    "plate": Thing("disc", "ceramic", 0.25),
    "pin": Thing("pin", "wood", 0.38, colour="white"),
    "bowling pin": Thing("pin", "wood", 0.38, colour="white"),
    "skittle": Thing("pin", "wood", 0.3, colour="white"),
    "domino": Thing("domino", "wood", 0.24),
    "plank": Thing("plank", "wood", 1.0),
    "board": Thing("plank", "wood", 1.0),
    "ruler": Thing("plank", "wood", 0.3),
}

# Words that make a bare material a body: "a marble" is a glass ball, "a stone" a stone ball.
NOUN_MATERIALS = {"marble": "glass"}

FIXTURES: dict[str, str] = {
    "table": "table", "desk": "table", "counter": "table", "countertop": "table",
    "shelf": "table", "workbench": "table", "bench": "table", "tabletop": "table",
    "ledge": "table", "cliff": "table", "edge": "table",
    "ramp": "ramp", "incline": "ramp", "inclined plane": "ramp", "slope": "ramp",
    "slide": "ramp", "chute": "ramp", "hill": "ramp", "hillside": "ramp",
    "wall": "wall",
    "stairs": "steps", "staircase": "steps", "steps": "steps", "stairway": "steps",
    "tank": "tank", "aquarium": "tank", "pool": "tank", "pond": "tank", "bucket": "tank",
    "basin": "tank", "tub": "tank", "bathtub": "tank", "container": "tank",
    "bowl": "bowl",
    "floor": "floor", "ground": "floor",
}

# Verb forms -> the action they start. "kick" and "toss" are throws; "tip" starts dominoes.
ACTIONS: dict[str, str] = {}
for _action, _forms in {
    "dropped": ("drop", "drops", "dropped", "dropping", "fall", "falls", "fell", "falling",
                "bounce", "bounces", "bounced", "bouncing", "rebound", "rebounds", "rebounding",
                "plummet", "plummets", "let go"),
    "thrown": ("throw", "throws", "threw", "thrown", "throwing", "toss", "tosses", "tossed",
               "tossing", "lob", "lobbed", "hurl", "hurled", "pitch", "pitched", "fling", "flung",
               "kick", "kicks", "kicked", "kicking", "bat", "batted", "serve", "served"),
    "launched": ("launch", "launches", "launched", "launching", "catapult", "catapulted",
                 "fire", "fires", "fired", "shoot", "shoots", "shot"),
    "pushed": ("push", "pushes", "pushed", "pushing", "shove", "shoves", "shoved", "nudge",
               "nudges", "nudged", "flick", "flicked", "slide", "slides", "slid", "sliding",
               "tip", "tips", "tipped", "knock", "knocks", "knocked", "strike", "strikes",
               "struck", "hit", "hits", "skid", "skids", "glide", "glides", "drift", "drifts",
               "drifting"),
    "rolled": ("roll", "rolls", "rolled", "rolling", "trundle", "trundles"),
    "released": ("release", "releases", "released", "releasing", "swing", "swings", "swung",
                 "swinging", "sink", "sinks", "sank", "sinking", "float", "floats", "floating",
                 "topple", "topples", "toppled", "toppling", "tumble",
                 "tumbles", "oscillate", "oscillates", "bob", "bobs", "bobbing"),
    "rest": ("placed", "put", "set", "sits", "sit", "rests", "rest", "resting", "stand", "stands",
             "standing", "lies", "lying", "stationary", "hang", "hangs", "hanging", "suspended",
             "held", "holds", "positioned", "balanced"),
}.items():
    for _form in _forms:
        ACTIONS[_form] = _action

# Verbs of one body moving into another: what follows them is the target.
HITS = ("hit", "hits", "strike", "strikes", "struck", "knock", "knocks", "knocked", "crash",
        "crashes", "crashed", "smash", "smashes", "collide", "collides", "collided", "slam",
        "slams", "bump", "bumps", "topple", "topples", "into", "towards", "toward", "at",
        "against", "onto")

COUNTS = {"one": 1, "a pair of": 2, "a couple of": 2, "both": 2, "two": 2, "three": 3, "four": 4,
          "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
          "twelve": 12, "fifteen": 15, "twenty": 20, "several": 3, "a few": 3, "many": 6}
# A plural named without a number: how many there usually are.
USUAL_COUNT = {"pin": 10, "bowling pin": 10, "domino": 8, "brick": 20, "block": 5, "marble": 4,
               "skittle": 9, "billiard ball": 10, "pool ball": 10}

SIZES = {"tiny": 0.45, "small": 0.65, "little": 0.65, "mini": 0.5, "large": 1.5, "big": 1.5,
         "huge": 2.0, "giant": 2.0, "massive": 2.0, "enormous": 2.2}
HEAVY = ("heavy", "dense", "solid", "iron", "metal")
LIGHT = ("light", "lightweight", "hollow", "inflatable")

# Groups laid out in a pattern: "a row of dominoes", "a stack of blocks", "a wall of bricks".
ARRANGEMENTS = {"row": "line", "line": "line", "chain": "line", "series": "line",
                "stack": "stack", "tower": "stack", "pile": "stack", "pyramid": "stack",
                "wall": "wall"}

# Subjects the studio's rigid bodies cannot be: liquids, soft or breaking things, living agents.
# A prompt whose moving subject is one of these has no studio scene.
NOT_RIGID = ("water", "liquid", "juice", "milk", "soup", "tea", "coffee", "oil", "honey", "sauce",
             "ketchup", "paint", "syrup", "droplet", "drop of", "splash", "smoke", "steam", "gas",
             "fire", "flame", "candle flame", "sponge", "cloth", "fabric", "towel", "paper sheet",
             "sheet of paper", "balloon", "rope", "chain", "string", "jelly", "jello", "dough",
             "clay figure", "egg", "glass shatters", "shatter", "shatters", "breaks", "melt",
             "melts", "melting", "ice cream", "snow", "sand", "flour", "powder", "foam",
             "cream", "butter", "cheese", "bubble", "wax", "slime", "mud", "pillow", "cushion",
             "mattress", "squeez", "compress", "stretch", "tear", "tears", "torn", "crush",
             "deflat", "inflat", "pour", "pours", "poured", "soak")
AGENTS = ("person", "man", "woman", "boy", "girl", "child", "kid", "people", "player",
          "athlete", "juggler", "hand", "hands", "robot", "dog", "cat", "bird", "horse",
          "someone", "chef", "worker", "student", "gymnast", "dancer", "skater", "acrobat",
          "arm", "finger", "fingers", "foot", "leg")

PLACES = ("room", "studio", "kitchen", "living room", "garage", "gym", "park", "street",
          "backyard", "lab", "laboratory", "classroom", "office", "warehouse")

# Words that carry no content the scene could show or miss.
FILLER = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "it's", "they", "them",
    "their", "there", "here", "of", "in", "on", "onto", "into", "off", "to", "from", "at", "by",
    "with", "without", "and", "or", "but", "as", "so", "then", "than", "while", "when", "after",
    "before", "until", "once", "is", "are", "was", "were", "be", "been", "being", "has", "have",
    "had", "do", "does", "did", "will", "would", "can", "could", "should", "may", "might", "very",
    "slowly", "quickly", "gently", "carefully", "softly", "slightly", "rapidly", "suddenly",
    "gradually", "steadily", "finally", "showing", "shows", "show", "showcasing", "showcases",
    "displaying", "displays", "demonstrating", "demonstrates", "captured", "capturing",
    "depicting", "depicts", "revealing", "illustrating", "highlighting", "emphasizing", "video",
    "clip", "scene", "shot", "footage", "view", "camera", "static", "realistic", "cinematic",
    "no", "not", "close", "up", "close-up", "slow", "motion", "slow-motion", "still", "each",
    "other",
    "another", "one", "some", "all", "own", "which", "who", "whose", "where", "how", "what",
    "upon", "over", "under", "across", "along", "through", "down", "out", "around", "toward",
    "towards", "against", "surface", "side", "top", "bottom", "middle", "end", "front",
    "back", "left", "right", "near", "next", "beside", "between", "behind", "his",
    "her", "time", "moment", "second", "seconds", "process", "way", "manner", "effect", "result",
    "lands", "land", "landing", "hits", "contact", "impact", "movement", "moves",
    "moving", "move", "path",
})

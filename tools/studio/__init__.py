"""The offline studio: a closed world that plans, simulates, renders and stands in for a model.

It lets `kinema run` work with no GPU, no keys and no downloads. Modules by what they hold:
`materials` and `environments` (the tables), `scenes` (scene builders in SI units), `camera`
(world to pixels), `simulate` and `events` (pymunk and what happened), `render` and `sheet`
(pixels), `laws` (the law knowledge base), `planner`, `keyframes` and `standin` (the backends).
"""

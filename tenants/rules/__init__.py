"""Points rules (积分规则): what earns points, direct awards by staff, residents' claims
(自主申报) with their approval queue, and the personal record card (个人记录卡)."""

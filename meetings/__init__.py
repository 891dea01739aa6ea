"""The programme's rituals: topics, glossary, cadences, meetings and agendas (with the cost items costdata
holds), decisions, action items, calendars, review packs and programme health. May import costdata."""

"""Text analysis shared by ingestion and answering, with no knowledge of reports or queries.

analysis    normalize, jieba words and tags, sentences, BM25 tokens, token counts, simplified Chinese
numerals    Chinese numerals and measure words (arabic, counted_numerals, MEASURES)
lexicon     colloquial synonyms and section words (SYNONYMS, section_headings, section_words)
thesaurus   synonym sets from HIT's Tongyici Cilin
divisions   China's administrative divisions as data (Division, PlaceMatch, the level words)
gazetteer   Gazetteer: finding and resolving place names in text; named_area(s), area_parent
areas       named areas that are no division (两江新区, 杭州高新区), read through a gazetteer
places      place names in text (mentions) and their stems
"""

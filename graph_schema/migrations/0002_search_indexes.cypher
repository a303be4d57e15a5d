// Vector index over every embedded node; {dimensions} is the embedder's dimension.
CREATE VECTOR INDEX entity_embedding IF NOT EXISTS FOR (n:Entity) ON n.embedding
OPTIONS { indexConfig: { `vector.dimensions`: {dimensions}, `vector.similarity_function`: 'cosine' } };
// Full-text over the text each node was embedded from (english analyzer: stemming, stop words).
CREATE FULLTEXT INDEX entity_text IF NOT EXISTS FOR (n:Entity) ON EACH [n.text]
OPTIONS { indexConfig: { `fulltext.analyzer`: 'english', `fulltext.eventually_consistent`: false } };

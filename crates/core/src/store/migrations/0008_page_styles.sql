-- Schema version 8: the side-by-side as the visitor sees it.
--
-- `confirmations.page_styles`: the fetched page's styles as JSON
-- (`{"links": [absolute stylesheet URLs], "inline": "<style> text"}`), so the live page
-- can be shown with its own stylesheets. `sites.article_selector`: where the site's
-- pages hold the article (a CSS selector), for "preview in the site's theme"; NULL is
-- the default (`article, main, [role=main]`). `sites.heal`: whether a page still stale at
-- the timeout gets the webhook once more and is fetched again before it is reported.

ALTER TABLE confirmations ADD COLUMN page_styles TEXT;
ALTER TABLE sites ADD COLUMN article_selector TEXT;
ALTER TABLE sites ADD COLUMN heal INTEGER NOT NULL DEFAULT 1;

import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getDocument, listDocuments } from "../../content";

type Props = { params: Promise<{ slug: string }> };

// Known documents are rendered at build time; new ones on first request. Both stay
// cached until a Pressroom webhook revalidates their tags.
export async function generateStaticParams() {
  const documents = await listDocuments();
  return documents.map((d) => ({ slug: d.slug }));
}

// The revision marker Pressroom's live confirmation looks for:
// <meta name="content-revision" content="r_…">
export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { slug } = await params;
  const doc = await getDocument(slug);
  if (!doc) return {};
  // (None for a post without one, e.g. one written in WordPress by hand.)
  return { title: doc.title, other: doc.revision ? { "content-revision": doc.revision } : {} };
}

export default async function Post({ params }: Props) {
  const { slug } = await params;
  const doc = await getDocument(slug);
  if (!doc) notFound();
  return (
    <article>
      <h1>{doc.title}</h1>
      {/* The content API's html is sanitized by Pressroom's renderer. */}
      <div dangerouslySetInnerHTML={{ __html: doc.html }} />
    </article>
  );
}

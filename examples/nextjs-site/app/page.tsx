import Link from "next/link";
import { listDocuments } from "./content";

export default async function Home() {
  const documents = await listDocuments();
  return (
    <ul>
      {documents.map((d) => (
        // The per-document marker Pressroom's live confirmation looks for on listings.
        <li key={d.slug} data-content-revision={d.revision}>
          <Link href={`/posts/${d.slug}`}>{d.title}</Link> <small>{d.summary}</small>
        </li>
      ))}
    </ul>
  );
}
